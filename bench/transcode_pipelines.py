"""The three transcode pipelines the benchmark compares; each runs inside a child process.

ours: `encode_hls`; baseline: PeerTube's ladder, one ffmpeg per rung; floor:
decode, split and scale with no encoding (see `bench.transcode_bench`).
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import time
from collections.abc import Sequence

from bench.transcode_sources import QUIET_ARGS
from videos_app.transcoding.ffmpeg_encoder import encode_hls
from videos_app.transcoding.hls_output import SEGMENT_SECONDS
from videos_app.transcoding.ladder import build_ladder
from videos_app.transcoding.probe import ffmpeg_exe, probe_source

# The baseline's own figures, kept here so tuning our ladder never moves it.
BASELINE_HEIGHTS = (1080, 720, 480, 360)
BASELINE_LOWER_ORDER = (480, 360, 720)
BASELINE_BITS_PER_PIXEL = {1080: 0.10, 720: 0.11, 480: 0.12, 360: 0.15}
BASELINE_SOURCE_HEADROOM = 1.3


@dataclasses.dataclass(frozen=True)
class BaselineRung:
    height: int
    width: int
    max_bitrate: int

    @property
    def name(self) -> str:
        return f"{self.height}p"


def baseline_ladder(
    *, width: int, height: int, fps: float, bitrate_bps: int | None
) -> list[BaselineRung]:
    """PeerTube's rungs for a landscape source, biggest first, with its bits-per-pixel caps."""
    rungs = []
    for rung_height in BASELINE_HEIGHTS:
        if rung_height > height:
            continue
        # scale=w=-2: the width that keeps the aspect, rounded to even.
        rung_width = int(round(width * rung_height / height / 2)) * 2
        cap = int(rung_width * rung_height * fps * BASELINE_BITS_PER_PIXEL[rung_height])
        if bitrate_bps:
            cap = min(cap, int(bitrate_bps * BASELINE_SOURCE_HEADROOM))
        rungs.append(BaselineRung(height=rung_height, width=rung_width, max_bitrate=cap))
    return rungs


def run_baseline(*, source: str, out_dir: str) -> dict[str, float]:
    started = time.monotonic()
    info = probe_source(source)
    fps = round(info.fps)
    rungs = baseline_ladder(
        width=info.width, height=info.height, fps=fps, bitrate_bps=info.bitrate_bps
    )
    top, lower = rungs[0], rungs[1:]
    lower.sort(key=lambda rung: BASELINE_LOWER_ORDER.index(rung.height))
    _baseline_rung(source=source, out_dir=out_dir, rung=top, fps=fps)
    done = [top]
    _baseline_master(out_dir=out_dir, rungs=done, fps=fps)
    first_playable = time.monotonic() - started
    stages = {top.name: first_playable}
    top_playlist = os.path.join(out_dir, top.name, "index.m3u8")
    for rung in lower:
        # PeerTube makes every lower rung from the top-rung output, not from the original.
        rung_started = time.monotonic()
        _baseline_rung(source=top_playlist, out_dir=out_dir, rung=rung, fps=fps)
        done.append(rung)
        _baseline_master(out_dir=out_dir, rungs=done, fps=fps)
        stages[rung.name] = time.monotonic() - rung_started
    return {
        "wall_s": time.monotonic() - started,
        "first_playable_s": first_playable,
        "stages": stages,
    }


def _baseline_rung(*, source: str, out_dir: str, rung: BaselineRung, fps: int) -> None:
    rung_dir = os.path.join(out_dir, rung.name)
    os.makedirs(rung_dir, exist_ok=True)
    args = [
        ffmpeg_exe(),
        *QUIET_ARGS,
        "-i",
        os.path.abspath(source),
        "-vf",
        f"scale=w=-2:h={rung.height}",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-maxrate:v",
        str(rung.max_bitrate),
        "-bufsize:v",
        str(rung.max_bitrate * 2),
        "-b_strategy",
        "1",
        "-bf",
        "16",
        "-r",
        str(fps),
        "-g",
        str(2 * fps),
        "-pix_fmt",
        "yuv420p",
        "-map_metadata",
        "-1",
        # PeerTube copies AAC at <= 384 kb/s, which the source (and so the top rung) is.
        "-c:a",
        "copy",
        "-f",
        "hls",
        "-hls_time",
        "4",
        "-hls_list_size",
        "0",
        "-hls_playlist_type",
        "vod",
        "-hls_segment_type",
        "fmp4",
        "-hls_segment_filename",
        "seg_%05d.m4s",
        "index.m3u8",
    ]
    # Run inside the rung's folder so the fMP4 init segment lands there too.
    subprocess.run(args, cwd=rung_dir, check=True)


def _baseline_master(*, out_dir: str, rungs: Sequence[BaselineRung], fps: int) -> None:
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for rung in rungs:
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={rung.max_bitrate},"
            f"RESOLUTION={rung.width}x{rung.height},FRAME-RATE={fps}"
        )
        lines.append(f"{rung.name}/index.m3u8")
    with open(os.path.join(out_dir, "master.m3u8"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def run_ours(*, source: str, out_dir: str) -> dict[str, float]:
    started = time.monotonic()
    first_playable: list[float] = []
    segment_ready: list[float] = []  # when each lowest-rung segment was published, in order
    info = probe_source(source)

    def on_first_playable(files: list[str]) -> None:
        now = time.monotonic() - started
        first_playable.append(now)
        segment_ready.extend(now for name in files if name.endswith(".ts"))

    encode_hls(source_path=source, out_dir=out_dir, info=info, on_first_playable=on_first_playable)
    wall = time.monotonic() - started
    # The last call comes when the lowest rung is complete; the upper rungs finish after it.
    stages = {"lowest rung": first_playable[-1], "other rungs": wall - first_playable[-1]}
    return {
        "wall_s": wall,
        "first_playable_s": first_playable[0],
        "stages": stages,
        "viewer_wait_s": viewer_wait_s(segment_ready=segment_ready),
    }


def viewer_wait_s(*, segment_ready: Sequence[float], segment_s: float = SEGMENT_SECONDS) -> float:
    """Seconds a viewer who presses play at first playable spends waiting for the next segment.

    The viewer plays each segment in real time from the moment the first one is
    published; whenever the next one is not there yet, playback waits for it.
    """
    if not segment_ready:
        return float("nan")
    waited = 0.0
    for index, ready in enumerate(segment_ready):
        needed = segment_ready[0] + index * segment_s + waited
        waited += max(0.0, ready - needed)
    return waited


def run_floor(*, source: str, out_dir: str) -> dict[str, float]:
    started = time.monotonic()
    info = probe_source(source)
    rungs = build_ladder(info=info)
    labels = "".join(f"[s{index}]" for index in range(len(rungs)))
    graph = f"[0:v:0]split={len(rungs)}{labels};" + ";".join(
        f"[s{index}]scale={rung.width}:{rung.height}[o{index}]" for index, rung in enumerate(rungs)
    )
    args = [ffmpeg_exe(), *QUIET_ARGS, "-i", os.path.abspath(source), "-filter_complex", graph]
    for index in range(len(rungs)):
        args += ["-map", f"[o{index}]", "-f", "null", "-"]
    os.makedirs(out_dir, exist_ok=True)
    subprocess.run(args, check=True)
    return {"wall_s": time.monotonic() - started, "first_playable_s": float("nan")}


RUNNERS = {"floor": run_floor, "baseline": run_baseline, "ours": run_ours}


def rung_sizes(*, kind: str, source: str) -> dict[str, tuple[int, int]]:
    info = probe_source(source)
    if kind == "ours":
        return {rung.name: (rung.width, rung.height) for rung in build_ladder(info=info)}
    rungs = baseline_ladder(
        width=info.width, height=info.height, fps=info.fps, bitrate_bps=info.bitrate_bps
    )
    return {rung.name: (rung.width, rung.height) for rung in rungs}
