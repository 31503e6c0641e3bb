"""The ffmpeg command lines of an HLS encode: x264 settings, filter graphs, HLS muxer options.

Building only: `ffmpeg_process` (and, for the poster, `ffmpeg_encoder`) runs them. How the
two encode processes share one decode is described in `ffmpeg_encoder`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from videos_app.transcoding.hls_output import (
    LIVE_PLAYLIST_SUFFIX,
    PLAYLIST_NAME,
    SEGMENT_PATTERN,
    SEGMENT_SECONDS,
)
from videos_app.transcoding.ladder import Rung
from videos_app.transcoding.probe import SourceInfo, ffmpeg_exe

AUDIO_SAMPLE_RATE = 48_000
POSTER_QUALITY = 3  # mjpeg qscale: 2 is best, 31 worst
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


def lowest_rung_args(
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


def upper_rungs_args(*, info: SourceInfo, upper: Sequence[Rung]) -> list[str]:
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


def poster_args(*, source_path: str, position_s: float, rung: Rung, path: str) -> list[str]:
    """Grab the frame at `position_s`, at the rung's size, into the JPEG at `path`."""
    args = [ffmpeg_exe(), *_QUIET, "-ss", f"{position_s:.3f}", "-i", os.path.abspath(source_path)]
    frame = {
        "-map": "0:v:0",
        "-frames:v": "1",
        "-vf": f"scale={rung.width}:{rung.height},setsar=1",
        "-q:v": str(POSTER_QUALITY),
        "-update": "1",
    }
    return [*args, *_flatten(frame), path]


def _progress_args(*, period: float) -> list[str]:
    # -progress writes key=value lines to stdout; errors alone go to stderr. The
    # growing rung reports more often, so a finished segment is noticed sooner.
    return ["-nostats", "-progress", "pipe:1", "-stats_period", f"{period:g}"]


def ffmpeg_frame_rate(*, fps: float) -> str:
    """ffmpeg rate string; 29.97 and friends become exact NTSC fractions, so no drift."""
    for nominal, fraction in _NTSC_RATES.items():
        if abs(fps - nominal * 1000 / 1001) < 0.01:
            return fraction
    if abs(fps - round(fps)) < 0.01:
        return str(round(fps))
    return f"{fps:.3f}"
