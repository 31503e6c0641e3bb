"""VMAF of a rendition against the benchmark source scaled to the rendition's size."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile

from bench.transcode_sources import SOURCE_FPS
from videos_app.transcoding.probe import ffmpeg_exe

VMAF_SECONDS = 10.0


def vmaf(*, rendition: str, source: str, width: int, height: int) -> tuple[float, int]:
    """Mean VMAF of the first VMAF_SECONDS of `rendition` against the source scaled alike.

    Returns (score, frame offset). A rung made from another rung's output can
    start a frame late (the baseline's `-r` on an input whose video starts
    after its audio repeats the first frame): a 33 ms shift nobody sees, which
    would still wreck a frame-by-frame score on moving content. So the frames
    are paired at the offset where they match best, checked by PSNR, first.
    """
    offset = _best_frame_offset(rendition=rendition, source=source, width=width, height=height)
    frames = round(VMAF_SECONDS * SOURCE_FPS)
    with tempfile.TemporaryDirectory() as scratch:
        log = os.path.join(scratch, "vmaf.json")
        graph = _paired_frames_graph(
            width=width, height=height, offset=offset, first=0, frames=frames
        ) + (f";[d][r]libvmaf=n_threads={os.cpu_count() or 1}:log_fmt=json:log_path={log}")
        args = _paired_frames_args(rendition, source, graph, frames + 3)
        subprocess.run(args, capture_output=True, check=True)
        with open(log, encoding="utf-8") as handle:
            return float(json.load(handle)["pooled_metrics"]["vmaf"]["mean"]), offset


def _best_frame_offset(*, rendition: str, source: str, width: int, height: int) -> int:
    scores = {}
    for offset in (-2, -1, 0, 1, 2):
        graph = (
            _paired_frames_graph(width=width, height=height, offset=offset, first=30, frames=30)
            + ";[d][r]psnr"
        )
        result = subprocess.run(
            _paired_frames_args(rendition, source, graph, 63),
            capture_output=True,
            text=True,
            check=True,
        )
        found = re.search(r"PSNR .*average:([\d.]+|inf)", result.stderr)
        scores[offset] = float(found.group(1)) if found else 0.0
    return max(scores, key=lambda offset: (scores[offset], -abs(offset)))


def _paired_frames_graph(*, width: int, height: int, offset: int, first: int, frames: int) -> str:
    # Rendition frame n is paired with source frame n + offset.
    start_d, start_r = first + max(0, -offset), first + max(0, offset)
    return (
        f"[0:v]setpts=PTS-STARTPTS,trim=start_frame={start_d}:end_frame={start_d + frames},"
        "setpts=PTS-STARTPTS,format=yuv420p[d];"
        f"[1:v]setpts=PTS-STARTPTS,trim=start_frame={start_r}:end_frame={start_r + frames},"
        f"setpts=PTS-STARTPTS,scale={width}:{height},format=yuv420p[r]"
    )


def _paired_frames_args(rendition: str, source: str, graph: str, frames: int) -> list[str]:
    seconds = f"{frames / SOURCE_FPS + 0.1:.3f}"
    return [
        ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "info",
        "-t",
        seconds,
        "-i",
        rendition,
        "-t",
        seconds,
        "-i",
        source,
        "-lavfi",
        graph,
        "-f",
        "null",
        "-",
    ]
