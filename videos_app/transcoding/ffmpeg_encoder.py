"""Encode a source into an HLS ladder with the ffmpeg binary.

Output layout in `out_dir`::

    master.m3u8                 multivariant playlist (lowest rung first)
    poster.jpg                  a frame about 10% into the video
    <rung>/index.m3u8           media playlist, e.g. 360p/index.m3u8
    <rung>/seg_00000.ts         MPEG-TS segments, 4 s each (the last may be shorter)

To make the video watchable within seconds, the lowest rung is encoded by its
own ffmpeg process, as an EVENT playlist that grows segment by segment. As soon
as its first segment is written, a master listing only that rung is written
and `on_first_playable` is called so the caller can publish it; while the rung
grows the callback is called again with the newer segments (at most every
PUBLISH_EVERY_S), and a last time when the rung is complete and its playlist
has become VOD. A viewer can start from the beginning at once and never waits
for the rest of the ladder.

The source is decoded once. The lowest-rung process also writes the decoded
frames, at the top rung's size, with the audio, as a NUT stream of raw video
into a pipe; a relay in this process holds up to FRAME_BUFFER_BYTES of them
and feeds a second ffmpeg process that splits them into one scaler + x264
encoder per upper rung. The buffer lets the lowest rung run several seconds
ahead of the others, which is what makes it playable in a few seconds and
keeps it ahead of a viewer, while the whole ladder costs one decode. The
second process starts once the lowest rung is playable (or the buffer is
full, whichever comes first) and runs at a lower CPU priority, so the lowest
rung gets the CPU first and the second takes what it leaves idle. The final
master replaces the first. Keyframes are forced on the same 4 s grid in both
processes, which see the same timestamps, so segment boundaries line up
across rungs and players can switch at any segment.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import fcntl
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from videos_app.transcoding.ladder import Rung, build_ladder
from videos_app.transcoding.probe import SourceInfo, ffmpeg_exe

SEGMENT_SECONDS = 4
AUDIO_SAMPLE_RATE = 48_000
POSTER_POSITION = 0.10
POSTER_QUALITY = 3  # mjpeg qscale: 2 is best, 31 worst
MASTER_NAME = "master.m3u8"
POSTER_NAME = "poster.jpg"
PLAYLIST_NAME = "index.m3u8"
SEGMENT_PATTERN = "seg_%05d.ts"
# A healthy encode moves its output time on every couple of seconds; standing still
# this long means ffmpeg is wedged (a bad input, a pipe nobody drains) and the worker
# should not wait forever. ffmpeg keeps printing reports while wedged, so the output
# time is what counts, not the reports.
STALL_TIMEOUT_S = 300.0
# Decoding (and splitting) costs roughly this share of encoding the same pixels;
# only used to weigh the two processes in the progress figure.
_DECODE_COST_FACTOR = 0.3
_STDERR_LINES_KEPT = 40
_GENERIC_FFMPEG_LINES = ("conversion failed", "error opening output files", "error while filtering")
_EXTINF_RE = re.compile(r"^#EXTINF:([\d.]+)", re.MULTILINE)
_LOG_PREFIX_RE = re.compile(r"^(\[[^\]]+\]\s*)+")
_QUIET = ["-hide_banner", "-nostdin", "-y", "-loglevel", "error"]
_NTSC_RATES = {24: "24000/1001", 30: "30000/1001", 60: "60000/1001"}


# x264 settings, tuned with `make bench` on a 2-core machine against PeerTube's
# veryfast + -bf 16 -b_strategy 1 (bench/transcode_bench.py). On its 1080p
# source, first 20 s: PeerTube's 1080p rung 2237 kb/s, VMAF 96.4, 38 CPU s;
# plain superfast at crf 23 6467 kb/s, 96.9, 26 CPU s (superfast turns off
# mbtree, x264's best bit saver on anything that is not all motion); superfast
# with mbtree back on over veryfast's 10-frame lookahead 2376 kb/s, 96.1,
# 24 CPU s. So: superfast's analysis, veryfast's rate control.
X264_PRESET = "superfast"
X264_PARAMS = "mbtree=1:rc-lookahead=10"
# Per rung, so each lands within half a VMAF point of PeerTube's rung at about
# its size (60 s bench: 1080p 17.0 MB both; 720p 14.0 vs 13.4; 480p 8.7 vs 7.6;
# 360p 5.8 vs 5.2, MPEG-TS costing a few percent over PeerTube's fMP4). The
# lower rungs are scaled from the source, PeerTube's from its 1080p output, so
# they need no extra quality to keep up; 1080p gets half a step more.
X264_CRF_BY_RUNG = {"1080p": 22.5, "720p": 23.5}
X264_DEFAULT_CRF = 23.0
# ffmpeg's -progress period; the growing first rung is polled more often.
PROGRESS_PERIOD_S = 0.5
GROWING_PROGRESS_PERIOD_S = 0.2
# Re-publish the growing first rung at most this often (each time the caller
# uploads and announces it); one segment's worth keeps a viewer ahead.
PUBLISH_EVERY_S = float(SEGMENT_SECONDS)
LIVE_PLAYLIST_SUFFIX = ".live"
# CPU priority of the process making the upper rungs: nice 5 weighs about a third
# of nice 0, so the lowest rung keeps most of the CPU when both want it.
UPPER_RUNGS_NICENESS = 5
# How far (in bytes of raw frames) the lowest rung may run ahead of the upper ones.
# 512 MiB is 5.7 s of 1080p30 (the top rung is never bigger than 1080p): enough for
# the lowest rung's first segment to come out at the speed of that process alone.
FRAME_BUFFER_BYTES = 512 * 1024 * 1024
_RELAY_CHUNK_BYTES = 1024 * 1024


class EncodeError(Exception):
    """ffmpeg failed; `reason` is one readable line, never a whole log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Rendition:
    """A finished rung on disk with the bitrates measured from its segments."""

    rung: Rung
    playlist: str
    segments: list[str]
    duration_s: float
    bandwidth: int
    average_bandwidth: int


@dataclass(frozen=True)
class EncodeResult:
    """What `encode_hls` produced. `files` are relative to out_dir in a safe upload order."""

    rungs: list[Rung]
    renditions: list[Rendition]
    master_path: str
    poster_path: str
    duration_s: float
    files: list[str]
    first_playable_s: float


def encode_hls(
    *,
    source_path: str,
    out_dir: str,
    info: SourceInfo,
    on_progress: Callable[[float], None] | None = None,
    on_first_playable: Callable[[list[str]], None] | None = None,
    frame_buffer_bytes: int = FRAME_BUFFER_BYTES,
) -> EncodeResult:
    """Encode `source_path` into the HLS layout described in the module docstring.

    `on_first_playable` receives the files to publish, relative to out_dir and
    master last: first when the lowest rung has its first segment, then again
    with the newer segments as that rung grows, and a last time when it is
    complete. Files are listed once, except the rung playlist, the poster and
    the master, which are in every call (the playlists change). `on_progress`
    gets 0.0..1.0; an exception raised from either callback stops ffmpeg and
    propagates. `frame_buffer_bytes` bounds the relay between the two processes:
    less memory, at the cost of the upper rungs starting (and competing for the
    CPU) before the lowest rung's first segment is out.
    """
    started = time.monotonic()
    rungs = build_ladder(info=info)
    lowest, upper = rungs[-1], rungs[:-1]
    os.makedirs(out_dir, exist_ok=True)
    _clear_previous_output(out_dir=out_dir, rungs=rungs)

    weights = _process_weights(info=info, lowest=lowest, upper=upper)
    progress = _ProgressTracker(callback=on_progress, weights=weights)

    # The poster is made beside the lowest rung's start rather than before it: it is
    # needed only when the first segment is published, and that comes later.
    poster = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    poster_done = poster.submit(
        _write_poster, source_path=source_path, out_dir=out_dir, info=info, rung=rungs[0]
    )
    poster.shutdown(wait=False)
    publisher = _LowestRungPublisher(
        out_dir=out_dir,
        rung=lowest,
        callback=on_first_playable,
        started=started,
        before_publish=poster_done.result,
    )
    # Set when either process fails, so the other one is stopped at once.
    stop = threading.Event()
    relay = _FrameRelay(limit_bytes=frame_buffer_bytes, stop=stop) if upper else None

    def encode_lowest() -> Rendition:
        _run_with_progress(
            args=_lowest_rung_args(
                source_path=source_path,
                info=info,
                lowest=lowest,
                top=rungs[0],
                frames_fd=relay.input_fd if relay else None,
            ),
            cwd=out_dir,
            duration_s=info.duration_s,
            on_fraction=lambda fraction: progress.update(0, fraction),
            stage=f"the {lowest.name} rendition",
            stop=stop,
            on_tick=publisher.publish_new_segments,
            pass_fd=relay.input_fd if relay else None,
            after_start=relay.release_input if relay else None,
        )
        # Published complete right away, whether or not the other rungs are done.
        return publisher.finish()

    for rung in rungs:
        os.makedirs(os.path.join(out_dir, rung.name), exist_ok=True)
    lowest_run = _BackgroundRun(target=encode_lowest, stop=stop)
    try:
        if relay is not None:
            relay.start()
        lowest_run.start()
        if relay is not None:
            # Until the lowest rung is playable it has the CPU to itself while its frames
            # gather in the relay; the upper rungs start then, or once the relay is full.
            while not (publisher.published_once.wait(0.05) or relay.full.is_set()):
                if lowest_run.ended():
                    lowest_run.join()  # its failure, if it failed, ends the encode here
                    break
            _run_with_progress(
                args=_upper_rungs_args(info=info, upper=upper),
                cwd=out_dir,
                duration_s=info.duration_s,
                on_fraction=lambda fraction: progress.update(1, fraction),
                stage="the " + ", ".join(rung.name for rung in upper) + " renditions",
                stop=stop,
                stdin_fd=relay.output_fd,
                after_start=relay.release_output,
                niceness=UPPER_RUNGS_NICENESS,
            )
    except BaseException:
        stop.set()
        lowest_run.join()  # the lowest rung's own failure, if it had one, is the cause
        raise
    finally:
        if relay is not None:
            relay.close()
    first = lowest_run.result()

    renditions = [first]
    renditions += [_measure_rendition(out_dir=out_dir, rung=rung) for rung in upper]
    _write_master(out_dir=out_dir, renditions=renditions)
    progress.finish()

    files = [name for r in renditions for name in (*r.segments, r.playlist)]
    return EncodeResult(
        rungs=rungs,
        renditions=sorted(renditions, key=lambda r: -r.rung.height * r.rung.width),
        master_path=os.path.join(out_dir, MASTER_NAME),
        poster_path=os.path.join(out_dir, POSTER_NAME),
        duration_s=first.duration_s,
        files=[*files, POSTER_NAME, MASTER_NAME],
        first_playable_s=publisher.first_playable_s,
    )


class _LowestRungPublisher:
    """Hands the growing lowest rung to `on_first_playable`, one consistent snapshot at a time.

    ffmpeg writes its EVENT playlist under a private name (index.m3u8.live).
    Each publish copies it to index.m3u8, so the published playlist never
    lists a segment that was not handed to the callback in the same or an
    earlier call, even though ffmpeg keeps adding segments meanwhile.
    """

    def __init__(
        self,
        *,
        out_dir: str,
        rung: Rung,
        callback: Callable[[list[str]], None] | None,
        started: float,
        before_publish: Callable[[], object] = lambda: None,
    ) -> None:
        self._out_dir = out_dir
        self._before_publish = before_publish
        self._rung = rung
        self._callback = callback
        self._started = started
        self._published: list[str] = []
        self._last_publish = 0.0
        self.first_playable_s = 0.0
        self.published_once = threading.Event()

    def publish_new_segments(self) -> None:
        """Publish the segments ffmpeg has finished, if there are new ones and it is time."""
        try:
            text = _read(_live_playlist_path(out_dir=self._out_dir, rung=self._rung))
        except EncodeError:
            return  # nothing written yet
        segments = _playlist_segments(text)
        if len(segments) <= len(self._published):
            return
        if self._published and time.monotonic() - self._last_publish < PUBLISH_EVERY_S:
            return
        self._publish(playlist_text=_with_start_at_beginning(text), finished=False)

    def finish(self) -> Rendition:
        """After ffmpeg has ended: make the playlist VOD, publish the rest and return the rung."""
        live = _live_playlist_path(out_dir=self._out_dir, rung=self._rung)
        text = _read(live)
        # RFC 8216 allows exactly this change to a finished EVENT playlist.
        final = _with_start_at_beginning(text).replace(
            "#EXT-X-PLAYLIST-TYPE:EVENT", "#EXT-X-PLAYLIST-TYPE:VOD"
        )
        rendition = self._publish(playlist_text=final, finished=True)
        os.remove(live)
        return rendition

    def _publish(self, *, playlist_text: str, finished: bool) -> Rendition:
        self._before_publish()  # the poster is listed in every publish: wait for it
        path = os.path.join(self._out_dir, self._rung.name, PLAYLIST_NAME)
        _write_atomically(path=path, text=playlist_text)
        rendition = _measure_rendition(out_dir=self._out_dir, rung=self._rung, finished=finished)
        _write_master(out_dir=self._out_dir, renditions=[rendition])
        already = set(self._published)
        new = [name for name in rendition.segments if name not in already]
        if not self._published:
            self.first_playable_s = time.monotonic() - self._started
        self._published = list(rendition.segments)
        self._last_publish = time.monotonic()
        if self._callback is not None:
            self._callback([*new, rendition.playlist, POSTER_NAME, MASTER_NAME])
        self.published_once.set()
        return rendition


class _Stopped(Exception):
    """ffmpeg was killed because the other encode process failed; not a cause in itself."""


class _BackgroundRun:
    """Runs `target` in a thread; its failure sets `stop` and is raised again by `join`."""

    def __init__(self, *, target: Callable[[], Rendition], stop: threading.Event) -> None:
        self._target = target
        self._stop = stop
        self._result: Rendition | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self._result = self._target()
        except BaseException as error:  # a callback may raise anything, KeyboardInterrupt too
            self._error = error
            self._stop.set()

    def start(self) -> None:
        self._thread.start()

    def ended(self) -> bool:
        return self._thread.ident is not None and not self._thread.is_alive()

    def join(self) -> None:
        """Wait for the end; raise the target's own failure (being stopped is not one)."""
        if self._thread.ident is None:
            return  # never started
        self._thread.join()
        if self._error is not None and not isinstance(self._error, _Stopped):
            raise self._error

    def result(self) -> Rendition:
        self.join()
        if self._result is None:
            raise EncodeError("the encode was stopped before it finished")
        return self._result


class _FrameRelay:
    """Moves the decoded frames from the lowest-rung process to the upper-rungs process.

    ffmpeg writes into one pipe (`input_fd`) and reads another (`output_fd`);
    one thread reads the first into a queue of at most `limit_bytes`, another
    writes the queue into the second. When the queue is full the first process
    waits on its pipe, so it never runs further ahead than the buffer allows.
    """

    def __init__(self, *, limit_bytes: int, stop: threading.Event) -> None:
        self._limit = limit_bytes
        self._stop = stop
        self._read_end, self.input_fd = os.pipe()
        self.output_fd, self._write_end = os.pipe()
        for fd in (self.input_fd, self.output_fd):
            _widen_pipe(fd)
        self._open_child_ends = {self.input_fd, self.output_fd}
        self._chunks: collections.deque[bytes] = collections.deque()
        self._buffered = 0
        self._ended = False
        self._changed = threading.Condition()
        self.full = threading.Event()  # the buffer has reached its limit at least once
        self._threads = [
            threading.Thread(target=self._take_in, daemon=True),
            threading.Thread(target=self._hand_out, daemon=True),
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def _take_in(self) -> None:
        try:
            while True:
                with self._changed:
                    while self._buffered >= self._limit and not self._stop.is_set():
                        self.full.set()
                        self._changed.wait(0.5)
                if self._stop.is_set():
                    return
                data = os.read(self._read_end, _RELAY_CHUNK_BYTES)
                with self._changed:
                    if data:
                        self._chunks.append(data)
                        self._buffered += len(data)
                    else:
                        self._ended = True
                    self._changed.notify_all()
                if not data:
                    return
        finally:
            os.close(self._read_end)

    def _hand_out(self) -> None:
        try:
            while True:
                with self._changed:
                    while not self._chunks and not self._ended and not self._stop.is_set():
                        self._changed.wait(0.5)
                    if self._stop.is_set() or not self._chunks:
                        return  # stopped, or everything was handed over
                    data = self._chunks.popleft()
                    self._buffered -= len(data)
                    self._changed.notify_all()
                view = memoryview(data)
                while view:
                    view = view[os.write(self._write_end, view) :]
        except OSError:
            return  # the reading ffmpeg is gone; its own exit status says why
        finally:
            os.close(self._write_end)

    def release_input(self) -> None:
        """Once the writing ffmpeg has its copy: without ours, its exit reads as the end."""
        self._release(self.input_fd)

    def release_output(self) -> None:
        """Once the reading ffmpeg has its copy: without ours, its exit breaks the pipe."""
        self._release(self.output_fd)

    def _release(self, fd: int) -> None:
        if fd in self._open_child_ends:
            self._open_child_ends.discard(fd)
            os.close(fd)

    def close(self) -> None:
        """After both processes ended (or failed to start): let the threads finish."""
        self.release_input()
        self.release_output()
        with self._changed:
            self._changed.notify_all()
        for thread in self._threads:
            if thread.ident is not None:
                thread.join(timeout=5)


def _widen_pipe(fd: int) -> None:
    # A 64 KiB pipe (Linux's default) moves a 3 MB frame in 48 system calls; 1 MiB in 3.
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)
    if set_size is None:
        return
    # Above this system's limit it fails, and the default size only costs more calls.
    with contextlib.suppress(OSError):
        fcntl.fcntl(fd, set_size, _RELAY_CHUNK_BYTES)


def _live_playlist_path(*, out_dir: str, rung: Rung) -> str:
    return os.path.join(out_dir, rung.name, PLAYLIST_NAME + LIVE_PLAYLIST_SUFFIX)


def _playlist_segments(text: str) -> list[str]:
    stripped = (line.strip() for line in text.splitlines())
    return [line for line in stripped if line and not line.startswith("#")]


def _with_start_at_beginning(text: str) -> str:
    # A playlist without ENDLIST looks live to players, which then start near
    # its newest segment; EXT-X-START:TIME-OFFSET=0 makes them start at 0.
    lines = text.splitlines()
    if not any(line.startswith("#EXT-X-START") for line in lines):
        lines.insert(1, "#EXT-X-START:TIME-OFFSET=0,PRECISE=YES")
    return "\n".join(lines) + "\n"


def ffmpeg_frame_rate(*, fps: float) -> str:
    """ffmpeg rate string; 29.97 and friends become exact NTSC fractions, so no drift."""
    for nominal, fraction in _NTSC_RATES.items():
        if abs(fps - nominal * 1000 / 1001) < 0.01:
            return fraction
    if abs(fps - round(fps)) < 0.01:
        return str(round(fps))
    return f"{fps:.3f}"


def _clear_previous_output(*, out_dir: str, rungs: Sequence[Rung]) -> None:
    # A retried job must not publish stale segments left by a killed attempt.
    for rung in rungs:
        shutil.rmtree(os.path.join(out_dir, rung.name), ignore_errors=True)
    for name in (MASTER_NAME, POSTER_NAME):
        path = os.path.join(out_dir, name)
        if os.path.exists(path):
            os.remove(path)


def _process_weights(*, info: SourceInfo, lowest: Rung, upper: Sequence[Rung]) -> list[float]:
    # The first process decodes; the second only scales and encodes.
    first = _DECODE_COST_FACTOR * info.width * info.height + lowest.width * lowest.height
    if not upper:
        return [first]
    return [first, sum(r.width * r.height for r in upper)]


class _ProgressTracker:
    """Folds per-process fractions into one monotonic 0..1 figure."""

    def __init__(self, *, callback: Callable[[float], None] | None, weights: list[float]) -> None:
        self._callback = callback
        self._weights = weights
        self._fractions = [0.0] * len(weights)
        self._last = -1.0
        # Both encode processes report, each from its own thread; the caller sees one series.
        self._lock = threading.Lock()

    def update(self, index: int, fraction: float) -> None:
        with self._lock:
            self._fractions[index] = max(self._fractions[index], min(1.0, fraction))
            done = sum(w * f for w, f in zip(self._weights, self._fractions, strict=True))
            total = done / sum(self._weights)
            # Report in whole-percent steps so a caller that writes to a database is not flooded.
            if self._callback is not None and total >= self._last + 0.01:
                self._last = total
                self._callback(min(total, 0.999))

    def finish(self) -> None:
        if self._callback is not None:
            self._callback(1.0)


def _lowest_rung_graph(*, lowest: Rung, top: Rung | None) -> str:
    # The rate is fixed first, so both processes see the same frames and the
    # forced keyframes land on the same timestamps in every rung.
    rate = ffmpeg_frame_rate(fps=lowest.fps)
    if top is None:
        return f"[0:v:0]fps={rate},{_scale_chain(lowest)}[v0]"
    # The upper rungs get the frames at the top rung's size: never bigger than
    # they need, so the relay carries no more bytes than necessary.
    return (
        f"[0:v:0]fps={rate},{_scale_chain(top)},split=2[frames][lowest];"
        f"[lowest]{_scale_chain(lowest)}[v0]"
    )


def _upper_rungs_graph(*, rungs: Sequence[Rung]) -> str:
    if len(rungs) == 1:
        return f"[0:v:0]{_scale_chain(rungs[0])}[v0]"
    labels = "".join(f"[s{index}]" for index in range(len(rungs)))
    branches = ";".join(
        f"[s{index}]{_scale_chain(rung)}[v{index}]" for index, rung in enumerate(rungs)
    )
    return f"[0:v:0]split={len(rungs)}{labels};{branches}"


def _scale_chain(rung: Rung) -> str:
    # setsar=1: the rung size already is the display size, so pixels are square.
    # Scaling to the size a frame already has is a pass-through in ffmpeg.
    return f"scale={rung.width}:{rung.height},setsar=1,format=yuv420p"


def audio_is_copied(*, info: SourceInfo, rung: Rung) -> bool:
    """Whether the rung carries the source's audio as it is instead of encoding it again.

    Only what the rung would have made anyway qualifies: AAC-LC (what CODECS
    announces), stereo, 48 kHz, at no more than the rung's audio bitrate. Most
    phone and camera files are exactly that, and re-encoding it would cost CPU
    in every rung and lose a little quality each time.
    """
    return (
        rung.has_audio
        and info.audio_codec == "aac"
        and info.audio_profile == "LC"
        and info.audio_channels == 2
        and info.audio_sample_rate == AUDIO_SAMPLE_RATE
        and info.audio_bitrate_bps is not None
        and 0 < info.audio_bitrate_bps <= rung.audio_bitrate
    )


def _rung_output_args(*, rung: Rung, index: int, growing: bool, copy_audio: bool) -> list[str]:
    keyframes_every = round(rung.fps * SEGMENT_SECONDS)
    video = {
        "-c:v": "libx264",
        "-preset": X264_PRESET,
        "-x264-params": X264_PARAMS,
        "-profile:v": "high",
        "-level:v": rung.h264_level,
        "-crf": f"{X264_CRF_BY_RUNG.get(rung.name, X264_DEFAULT_CRF):g}",
        "-maxrate:v": str(rung.video_max_bitrate),
        "-bufsize:v": str(rung.vbv_buffer),
        # Keyframes come only from the time grid below: x264's own GOP limit is
        # set past it and scene-cut keyframes are off, so all rungs cut alike.
        "-g": str(keyframes_every * 2),
        "-sc_threshold": "0",
        "-force_key_frames": f"expr:gte(t,n_forced*{SEGMENT_SECONDS})",
        "-forced-idr": "1",
    }
    audio = {
        "-c:a": "aac",
        "-b:a": str(rung.audio_bitrate),
        # -ac 2 downmixes 5.1/7.1 and upmixes mono, so every rung is plain stereo.
        "-ac": "2",
        "-ar": str(AUDIO_SAMPLE_RATE),
    }
    muxer = {
        "-map_metadata": "-1",
        "-map_chapters": "-1",
        "-f": "hls",
        "-hls_time": str(SEGMENT_SECONDS),
        "-hls_list_size": "0",
        # A growing rung is an EVENT playlist: valid, and playable, after every segment.
        "-hls_playlist_type": "event" if growing else "vod",
        "-hls_segment_type": "mpegts",
        "-hls_flags": "independent_segments",
        "-hls_segment_filename": f"{rung.name}/{SEGMENT_PATTERN}",
    }
    args = ["-map", f"[v{index}]", *_flatten(video)]
    if rung.has_audio:
        args += ["-map", "0:a:0", *(["-c:a", "copy"] if copy_audio else _flatten(audio))]
    playlist = f"{rung.name}/{PLAYLIST_NAME}" + (LIVE_PLAYLIST_SUFFIX if growing else "")
    return [*args, *_flatten(muxer), playlist]


def _flatten(options: dict[str, str]) -> list[str]:
    return [part for pair in options.items() for part in pair]


def _lowest_rung_args(
    *, source_path: str, info: SourceInfo, lowest: Rung, top: Rung | None, frames_fd: int | None
) -> list[str]:
    """Decode the source, encode the lowest rung and, given `frames_fd`, write the frames there."""
    args = [
        ffmpeg_exe(),
        *_QUIET,
        *_progress_args(period=GROWING_PROGRESS_PERIOD_S),
        "-i",
        os.path.abspath(source_path),
        "-filter_complex",
        _lowest_rung_graph(lowest=lowest, top=top if frames_fd is not None else None),
        *_rung_output_args(
            rung=lowest,
            index=0,
            growing=True,
            copy_audio=audio_is_copied(info=info, rung=lowest),
        ),
    ]
    if frames_fd is not None:
        args += ["-map", "[frames]", "-c:v", "rawvideo"]
        if info.has_audio:
            # AAC goes across as it is (the upper rungs may copy it); anything else as PCM.
            audio_codec = "copy" if info.audio_codec == "aac" else "pcm_s16le"
            args += ["-map", "0:a:0", "-c:a", audio_codec]
        args += ["-f", "nut", f"pipe:{frames_fd}"]
    return args


def _upper_rungs_args(*, info: SourceInfo, upper: Sequence[Rung]) -> list[str]:
    """Encode the upper rungs from the relayed frames, read on stdin."""
    args = [
        ffmpeg_exe(),
        *_QUIET,
        *_progress_args(period=PROGRESS_PERIOD_S),
        "-f",
        "nut",
        "-i",
        "pipe:0",
        "-filter_complex",
        _upper_rungs_graph(rungs=upper),
    ]
    for index, rung in enumerate(upper):
        args += _rung_output_args(
            rung=rung,
            index=index,
            growing=False,
            copy_audio=audio_is_copied(info=info, rung=rung),
        )
    return args


def _progress_args(*, period: float) -> list[str]:
    # -progress writes key=value lines to stdout; errors alone go to stderr. The
    # growing rung reports more often, so a finished segment is noticed sooner.
    return ["-nostats", "-progress", "pipe:1", "-stats_period", f"{period:g}"]


def _nice_prefix(niceness: int) -> list[str]:
    # nice(1) lowers the priority before ffmpeg starts any thread; every thread inherits it.
    nice = shutil.which("nice") if niceness else None
    return [nice, "-n", str(niceness)] if nice else []


def _run_with_progress(
    *,
    args: list[str],
    cwd: str,
    duration_s: float,
    on_fraction: Callable[[float], None],
    stage: str,
    stop: threading.Event,
    on_tick: Callable[[], None] | None = None,
    pass_fd: int | None = None,
    stdin_fd: int | None = None,
    after_start: Callable[[], None] | None = None,
    niceness: int = 0,
) -> None:
    process = subprocess.Popen(
        [*_nice_prefix(niceness), *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL if stdin_fd is None else stdin_fd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        pass_fds=() if pass_fd is None else (pass_fd,),
        text=True,
        errors="replace",
    )
    if after_start is not None:
        after_start()
    stderr_tail: collections.deque[str] = collections.deque(maxlen=_STDERR_LINES_KEPT)
    last_activity = [time.monotonic()]
    stalled = threading.Event()
    stopped = threading.Event()  # killed because the other process failed

    def drain_stderr() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            stderr_tail.append(line.rstrip())

    def watchdog() -> None:
        while process.poll() is None:
            if time.monotonic() - last_activity[0] > STALL_TIMEOUT_S:
                stalled.set()
                process.kill()
                return
            if stop.wait(1.0):
                stopped.set()
                process.kill()
                return

    threads = [
        threading.Thread(target=drain_stderr, daemon=True),
        threading.Thread(target=watchdog, daemon=True),
    ]
    for thread in threads:
        thread.start()
    try:
        assert process.stdout is not None
        furthest_us = -1
        for line in process.stdout:
            if line.startswith("out_time_us="):
                value = line.split("=", 1)[1].strip()
                if value.lstrip("-").isdigit() and int(value) > furthest_us:
                    furthest_us = int(value)
                    last_activity[0] = time.monotonic()
                    if duration_s > 0:
                        on_fraction(furthest_us / 1_000_000 / duration_s)
            elif line.startswith("progress="):
                if line.strip() == "progress=end":
                    last_activity[0] = time.monotonic()
                if on_tick is not None:
                    on_tick()  # the end of one report: ffmpeg has moved on since the last
        process.wait()
    except BaseException:
        # A callback asked us to stop (or we are being torn down): do not leave ffmpeg running.
        process.kill()
        process.wait()
        raise
    finally:
        threads[0].join(timeout=5)
    if stalled.is_set():
        raise EncodeError(f"ffmpeg stopped making progress while encoding {stage}")
    if stopped.is_set() and process.returncode != 0:
        raise _Stopped(stage)
    if process.returncode != 0:
        raise EncodeError(
            _failure_reason(
                returncode=process.returncode, stderr_lines=list(stderr_tail), stage=stage
            )
        )


def _failure_reason(*, returncode: int, stderr_lines: list[str], stage: str) -> str:
    if returncode < 0:
        return f"ffmpeg was killed (signal {-returncode}) while encoding {stage}"
    for line in reversed(stderr_lines):
        cleaned = _LOG_PREFIX_RE.sub("", line).strip()
        if cleaned and not cleaned.lower().startswith(_GENERIC_FFMPEG_LINES):
            return f"ffmpeg failed while encoding {stage}: {cleaned[:200]}"
    return f"ffmpeg failed while encoding {stage} (exit code {returncode})"


def _write_poster(*, source_path: str, out_dir: str, info: SourceInfo, rung: Rung) -> None:
    path = os.path.join(out_dir, POSTER_NAME)
    # Frame 0 is often black or a fade-in; a tenth of the way in usually shows the subject.
    for position in (info.duration_s * POSTER_POSITION, 0.0):
        args = [ffmpeg_exe(), *_QUIET, "-ss", f"{position:.3f}", "-i", os.path.abspath(source_path)]
        frame = {
            "-map": "0:v:0",
            "-frames:v": "1",
            "-vf": f"scale={rung.width}:{rung.height},setsar=1",
            "-q:v": str(POSTER_QUALITY),
            "-update": "1",
        }
        result = subprocess.run(
            [*args, *_flatten(frame), path],
            capture_output=True,
            text=True,
            errors="replace",
            check=False,
        )
        if result.returncode == 0 and os.path.exists(path) and os.path.getsize(path) > 0:
            return
    raise EncodeError(
        _failure_reason(
            returncode=result.returncode or 1,
            stderr_lines=result.stderr.splitlines(),
            stage="the poster",
        )
    )


def _measure_rendition(*, out_dir: str, rung: Rung, finished: bool = True) -> Rendition:
    """The rung as its playlist lists it; `finished=False` for a playlist still growing."""
    playlist = f"{rung.name}/{PLAYLIST_NAME}"
    text = _read(os.path.join(out_dir, playlist))
    if finished and "#EXT-X-ENDLIST" not in text:
        raise EncodeError(f"ffmpeg left the {rung.name} playlist unfinished")
    durations = [float(value) for value in _EXTINF_RE.findall(text)]
    names = _playlist_segments(text)
    if not names or len(names) != len(durations):
        raise EncodeError(f"ffmpeg wrote no segments for the {rung.name} rendition")
    sizes = [os.path.getsize(os.path.join(out_dir, rung.name, name)) for name in names]
    # BANDWIDTH must cover the busiest segment (HLS spec), so measure it rather than trust the cap.
    rates = [
        size * 8 / max(duration, 0.001) for size, duration in zip(sizes, durations, strict=True)
    ]
    peak = max(rates)
    total_duration = sum(durations)
    average = sum(sizes) * 8 / max(total_duration, 0.001)
    return Rendition(
        rung=rung,
        playlist=playlist,
        segments=[f"{rung.name}/{name}" for name in names],
        duration_s=total_duration,
        bandwidth=int(peak) + 1,
        average_bandwidth=int(average) + 1,
    )


def _write_master(*, out_dir: str, renditions: Sequence[Rendition]) -> None:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    # Lowest first: players that start on the first variant begin quickly and climb.
    for rendition in sorted(renditions, key=lambda r: r.bandwidth):
        rung = rendition.rung
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={rendition.bandwidth},"
            f"AVERAGE-BANDWIDTH={rendition.average_bandwidth},"
            f"RESOLUTION={rung.width}x{rung.height},"
            f"FRAME-RATE={rung.fps:.3f},"
            f'CODECS="{rung.codecs}"'
        )
        lines.append(rendition.playlist)
    _write_atomically(path=os.path.join(out_dir, MASTER_NAME), text="\n".join(lines) + "\n")


def _write_atomically(*, path: str, text: str) -> None:
    # An uploader may be reading the previous version right now.
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        name = os.path.join(os.path.basename(os.path.dirname(path)), os.path.basename(path))
        raise EncodeError(f"ffmpeg did not write {name}") from None
