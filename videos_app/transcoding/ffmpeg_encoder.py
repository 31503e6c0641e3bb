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

import concurrent.futures
import os
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from videos_app.transcoding.encode_errors import EncodeError
from videos_app.transcoding.ffmpeg_commands import audio_is_copied as audio_is_copied
from videos_app.transcoding.ffmpeg_commands import lowest_rung_args as _lowest_rung_args
from videos_app.transcoding.ffmpeg_commands import poster_args
from videos_app.transcoding.ffmpeg_commands import upper_rungs_args as _upper_rungs_args
from videos_app.transcoding.ffmpeg_process import (
    BackgroundRun,
    ProgressTracker,
    failure_reason,
    process_weights,
    run_with_progress,
)
from videos_app.transcoding.frame_relay import FRAME_BUFFER_BYTES
from videos_app.transcoding.frame_relay import RELAY_CHUNK_BYTES as _RELAY_CHUNK_BYTES  # noqa: F401
from videos_app.transcoding.frame_relay import FrameRelay as _FrameRelay
from videos_app.transcoding.hls_output import (
    MASTER_NAME,
    PLAYLIST_NAME,
    POSTER_NAME,
    SEGMENT_SECONDS,
    Rendition,
    clear_previous_output,
    live_playlist_path,
    measure_rendition,
    playlist_segments,
    read_output,
    with_start_at_beginning,
    write_atomically,
    write_master,
)
from videos_app.transcoding.ladder import Rung, build_ladder
from videos_app.transcoding.probe import SourceInfo

# The underscored imports above are seams the tests use through this module: encode_hls
# looks up _FrameRelay, _lowest_rung_args and _upper_rungs_args here, so a test that swaps
# one here is heard; likewise STALL_TIMEOUT_S and PUBLISH_EVERY_S below are read here.

POSTER_POSITION = 0.10
# A healthy encode moves its output time on every couple of seconds; standing still
# this long means ffmpeg is wedged (a bad input, a pipe nobody drains) and the worker
# should not wait forever. ffmpeg keeps printing reports while wedged, so the output
# time is what counts, not the reports.
STALL_TIMEOUT_S = 300.0
# Re-publish the growing first rung at most this often (each time the caller
# uploads and announces it); one segment's worth keeps a viewer ahead.
PUBLISH_EVERY_S = float(SEGMENT_SECONDS)
# CPU priority of the process making the upper rungs: nice 5 weighs about a third
# of nice 0, so the lowest rung keeps most of the CPU when both want it.
UPPER_RUNGS_NICENESS = 5


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
    clear_previous_output(out_dir=out_dir, rungs=rungs)

    weights = process_weights(info=info, lowest=lowest, upper=upper)
    progress = ProgressTracker(callback=on_progress, weights=weights)

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
        run_with_progress(
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
            stall_timeout_s=STALL_TIMEOUT_S,
            on_tick=publisher.publish_new_segments,
            pass_fd=relay.input_fd if relay else None,
            after_start=relay.release_input if relay else None,
        )
        # Published complete right away, whether or not the other rungs are done.
        return publisher.finish()

    for rung in rungs:
        os.makedirs(os.path.join(out_dir, rung.name), exist_ok=True)
    lowest_run = BackgroundRun(target=encode_lowest, stop=stop)
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
            run_with_progress(
                args=_upper_rungs_args(info=info, upper=upper),
                cwd=out_dir,
                duration_s=info.duration_s,
                on_fraction=lambda fraction: progress.update(1, fraction),
                stage="the " + ", ".join(rung.name for rung in upper) + " renditions",
                stop=stop,
                stall_timeout_s=STALL_TIMEOUT_S,
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
    renditions += [measure_rendition(out_dir=out_dir, rung=rung) for rung in upper]
    write_master(out_dir=out_dir, renditions=renditions)
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
            text = read_output(live_playlist_path(out_dir=self._out_dir, rung=self._rung))
        except EncodeError:
            return  # nothing written yet
        segments = playlist_segments(text)
        if len(segments) <= len(self._published):
            return
        if self._published and time.monotonic() - self._last_publish < PUBLISH_EVERY_S:
            return
        self._publish(playlist_text=with_start_at_beginning(text), finished=False)

    def finish(self) -> Rendition:
        """After ffmpeg has ended: make the playlist VOD, publish the rest and return the rung."""
        live = live_playlist_path(out_dir=self._out_dir, rung=self._rung)
        text = read_output(live)
        # RFC 8216 allows exactly this change to a finished EVENT playlist.
        final = with_start_at_beginning(text).replace(
            "#EXT-X-PLAYLIST-TYPE:EVENT", "#EXT-X-PLAYLIST-TYPE:VOD"
        )
        rendition = self._publish(playlist_text=final, finished=True)
        os.remove(live)
        return rendition

    def _publish(self, *, playlist_text: str, finished: bool) -> Rendition:
        self._before_publish()  # the poster is listed in every publish: wait for it
        path = os.path.join(self._out_dir, self._rung.name, PLAYLIST_NAME)
        write_atomically(path=path, text=playlist_text)
        rendition = measure_rendition(out_dir=self._out_dir, rung=self._rung, finished=finished)
        write_master(out_dir=self._out_dir, renditions=[rendition])
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


def _write_poster(*, source_path: str, out_dir: str, info: SourceInfo, rung: Rung) -> None:
    path = os.path.join(out_dir, POSTER_NAME)
    # Frame 0 is often black or a fade-in; a tenth of the way in usually shows the subject.
    for position in (info.duration_s * POSTER_POSITION, 0.0):
        result = subprocess.run(
            poster_args(source_path=source_path, position_s=position, rung=rung, path=path),
            capture_output=True,
            text=True,
            errors="replace",
            check=False,
        )
        if result.returncode == 0 and os.path.exists(path) and os.path.getsize(path) > 0:
            return
    raise EncodeError(
        failure_reason(
            returncode=result.returncode or 1,
            stderr_lines=result.stderr.splitlines(),
            stage="the poster",
        )
    )
