"""Our HLS pipeline against a PeerTube-style baseline and the decode floor, in one run.

The source is a 60 s 1920x1080 30 fps H.264 file at about 25 Mb/s with AAC
stereo: a camera-like pan over a detailed fractal, a moving test card on top
and a little temporal grain, so motion search and rate control both have work
to do. It is made once and kept under .bench/sources/.

Three runs, each in its own child process so that `os.wait4` gives exactly
its CPU seconds and the peak memory of its biggest process (for ours that can
be the Python process, which holds the frame relay between its two ffmpegs):
  ours      probe_source + encode_hls; first playable when on_first_playable
            fires (the lowest rung has a segment and the master lists it);
            "viewer waits" replays the lowest rung's publish times for a
            viewer who presses play at first playable and watches in real
            time, and adds up how long playback would wait for a segment;
  baseline  PeerTube as ../shared/transcode-baseline.md describes it: the top
            rung from the original, then 480p, 360p, 720p each in its own
            ffmpeg from the top-rung output, x264 veryfast -bf 16 -b_strategy 1,
            VOD fMP4 HLS; first playable when the top-rung process ends;
  floor     decode + split + the four scales, no encoding.
Then each rung of ours and of the baseline gets a VMAF over its first 10 s at
its own size, against the source scaled to that size with the same scaler.

Run: `make bench` (all benchmarks) or `python -m bench.transcode_bench --help`.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from bench.results import BENCH_DIR, record  # noqa: E402
from videos_app.transcoding.ffmpeg_encoder import SEGMENT_SECONDS, encode_hls  # noqa: E402
from videos_app.transcoding.ladder import build_ladder  # noqa: E402
from videos_app.transcoding.probe import ffmpeg_exe, probe_source  # noqa: E402

SOURCE_SECONDS = 60
SOURCE_WIDTH, SOURCE_HEIGHT, SOURCE_FPS = 1920, 1080, 30
SOURCE_VIDEO_BITRATE = "25M"
SOURCE_AUDIO_BITRATE = "128k"
VMAF_SECONDS = 10.0

# The baseline's own figures, kept here so tuning our ladder never moves it.
BASELINE_HEIGHTS = (1080, 720, 480, 360)
BASELINE_LOWER_ORDER = (480, 360, 720)
BASELINE_BITS_PER_PIXEL = {1080: 0.10, 720: 0.11, 480: 0.12, 360: 0.15}
BASELINE_SOURCE_HEADROOM = 1.3

# Ours against the baseline; "at most" for the ratios, "at least" for VMAF.
TARGET_FIRST_PLAYABLE_RATIO = 0.1
TARGET_LADDER_RATIO = 0.6
TARGET_BYTES_RATIO = 1.15
TARGET_VMAF_DELTA_MIN = -1.0

_QUIET = ["-hide_banner", "-nostdin", "-y", "-loglevel", "error"]
_KINDS = ("floor", "baseline", "ours")


@dataclasses.dataclass
class Measurement:
    kind: str
    wall_s: float
    first_playable_s: float | None
    cpu_s: float
    peak_rss_mb: float
    output_bytes: int
    out_dir: str
    stages: dict[str, float] = dataclasses.field(default_factory=dict)
    viewer_wait_s: float | None = None


# --- the source --------------------------------------------------------------


def ensure_source(*, seconds: int = SOURCE_SECONDS) -> str:
    """Path of the cached benchmark source, made on first use (a few minutes on 2 cores)."""
    recipe = _source_recipe(seconds=seconds)
    digest = hashlib.sha256(json.dumps(recipe).encode()).hexdigest()[:12]
    directory = os.path.join(BENCH_DIR, "sources")
    path = os.path.join(directory, f"motion-{SOURCE_HEIGHT}p{SOURCE_FPS}-{seconds}s-{digest}.mp4")
    if os.path.exists(path):
        return path
    os.makedirs(directory, exist_ok=True)
    print(f"making the {seconds} s source (once; cached as {os.path.relpath(path, REPO_ROOT)})")
    still = os.path.join(directory, f"fractal-{digest}.png")
    subprocess.run([ffmpeg_exe(), *_QUIET, *recipe["still"], still], check=True)
    partial = path + ".part.mp4"
    subprocess.run(
        [ffmpeg_exe(), *_QUIET, "-i", still, *recipe["inputs"], *recipe["encode"], partial],
        check=True,
    )
    os.replace(partial, path)
    os.remove(still)
    return path


def _source_recipe(*, seconds: int) -> dict[str, list[str]]:
    # A still fractal half as big again as the frame; the crop window travels
    # over it (a camera pan of up to ~5 px per frame), a 640x360 test card
    # with its own moving parts drifts across, and light grain changes every
    # frame, so no two frames are alike.
    pan = (
        f"crop={SOURCE_WIDTH}:{SOURCE_HEIGHT}:x='480+470*sin(2*PI*t/20)':y='270+260*sin(2*PI*t/13)'"
    )
    graph = (
        f"[0:v]format=yuv420p,loop=loop=-1:size=1:start=0,setpts=N/{SOURCE_FPS}/TB,{pan},"
        "noise=alls=2:allf=t[bg];"
        "[bg][1:v]overlay=x='(W-w)*(0.5+0.5*sin(t/3))':y='(H-h)*(0.5+0.5*cos(t/4))'"
        f":shortest=1,fps={SOURCE_FPS}[v]"
    )
    tone = "0.2*sin(2*PI*440*t)+0.05*sin(2*PI*3000*t)|0.2*sin(2*PI*554*t)+0.03*sin(2*PI*90*t)"
    return {
        "still": [
            "-f",
            "lavfi",
            "-i",
            "mandelbrot=s=2880x1620:maxiter=400:start_scale=1.2:end_scale=1.2"
            ":start_x=-0.743643887:start_y=0.131825904:outer=normalized_iteration_count",
            "-frames:v",
            "1",
        ],
        "inputs": [
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=s=640x360:r={SOURCE_FPS}",
            "-f",
            "lavfi",
            "-i",
            f"aevalsrc={tone}:s=48000",
        ],
        "encode": [
            "-filter_complex",
            graph,
            "-map",
            "[v]",
            "-map",
            "2:a",
            "-t",
            str(seconds),
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-b:v",
            SOURCE_VIDEO_BITRATE,
            "-maxrate",
            SOURCE_VIDEO_BITRATE,
            "-bufsize",
            SOURCE_VIDEO_BITRATE,
            "-g",
            str(2 * SOURCE_FPS),
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-b:a",
            SOURCE_AUDIO_BITRATE,
            "-ac",
            "2",
            "-movflags",
            "+faststart",
        ],
    }


# --- the three pipelines (each runs inside a child process) -------------------


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
        *_QUIET,
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
    args = [ffmpeg_exe(), *_QUIET, "-i", os.path.abspath(source), "-filter_complex", graph]
    for index in range(len(rungs)):
        args += ["-map", f"[o{index}]", "-f", "null", "-"]
    os.makedirs(out_dir, exist_ok=True)
    subprocess.run(args, check=True)
    return {"wall_s": time.monotonic() - started, "first_playable_s": float("nan")}


_RUNNERS = {"floor": run_floor, "baseline": run_baseline, "ours": run_ours}


def measure(*, kind: str, source: str, out_dir: str) -> Measurement:
    """Run one pipeline in a child process; wait4 gives its CPU and its biggest process's RSS."""
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    report = os.path.join(out_dir, ".report.json")
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.transcode_bench",
            "--child",
            kind,
            "--source",
            source,
            "--out",
            out_dir,
            "--report",
            report,
        ],
        cwd=REPO_ROOT,
    )
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"the {kind} run failed (exit {child.returncode})")
    with open(report, encoding="utf-8") as handle:
        figures = json.load(handle)
    os.remove(report)
    first = figures["first_playable_s"]
    return Measurement(
        kind=kind,
        stages=figures.get("stages", {}),
        viewer_wait_s=figures.get("viewer_wait_s"),
        wall_s=figures["wall_s"],
        first_playable_s=None if first != first else first,  # NaN: the floor plays nothing
        cpu_s=usage.ru_utime + usage.ru_stime,
        # Linux reports ru_maxrss in KiB: the largest of the child and everything it waited for.
        peak_rss_mb=usage.ru_maxrss / 1024,
        output_bytes=_tree_bytes(out_dir),
        out_dir=out_dir,
    )


def _tree_bytes(directory: str) -> int:
    return sum(
        os.path.getsize(os.path.join(root, name))
        for root, _, names in os.walk(directory)
        for name in names
    )


# --- quality -------------------------------------------------------------------


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


def rung_sizes(*, kind: str, source: str) -> dict[str, tuple[int, int]]:
    info = probe_source(source)
    if kind == "ours":
        return {rung.name: (rung.width, rung.height) for rung in build_ladder(info=info)}
    rungs = baseline_ladder(
        width=info.width, height=info.height, fps=info.fps, bitrate_bps=info.bitrate_bps
    )
    return {rung.name: (rung.width, rung.height) for rung in rungs}


# --- the report ----------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=SOURCE_SECONDS, help="source length")
    parser.add_argument(
        "--rounds", type=int, default=1, help="repeat, alternating the order; medians reported"
    )
    parser.add_argument("--skip-vmaf", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the outputs in .bench/transcode")
    parser.add_argument("--only", choices=_KINDS, action="append", help=argparse.SUPPRESS)
    parser.add_argument("--child", choices=_KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--source", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--report", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)

    if options.child:
        figures = _RUNNERS[options.child](source=options.source, out_dir=options.out)
        with open(options.report, "w", encoding="utf-8") as handle:
            json.dump(figures, handle)
        return figures

    source = ensure_source(seconds=options.seconds)
    info = probe_source(source)
    print(
        f"source: {info.width}x{info.height} {info.fps:g} fps, {info.duration_s:g} s, "
        f"{(info.bitrate_bps or 0) / 1e6:.1f} Mb/s, audio {'yes' if info.has_audio else 'no'}"
    )
    work = os.path.join(BENCH_DIR, "transcode")
    kinds = [kind for kind in _KINDS if not options.only or kind in options.only]
    runs: dict[str, list[Measurement]] = {kind: [] for kind in kinds}
    for round_number in range(options.rounds):
        order = kinds if round_number % 2 == 0 else kinds[::-1]
        load = os.getloadavg()[0]
        print(f"round {round_number + 1}: load average {load:.2f} on {os.cpu_count()} cores")
        for kind in order:
            result = measure(kind=kind, source=source, out_dir=os.path.join(work, kind))
            runs[kind].append(result)
            first = (
                f", first playable {result.first_playable_s:.2f} s"
                if result.first_playable_s is not None
                else ""
            )
            stages = ", ".join(f"{name} {s:.1f} s" for name, s in result.stages.items())
            print(
                f"  {kind:<8} {result.wall_s:6.2f} s{first}, cpu {result.cpu_s:.1f} s, "
                f"peak {result.peak_rss_mb:.0f} MB, {result.output_bytes / 1e6:.1f} MB out"
                + (f" ({stages})" if stages else "")
            )
    summary = {kind: _median(measurements) for kind, measurements in runs.items()}

    scores: dict[str, dict[str, float]] = {}
    if not options.skip_vmaf:
        for kind in ("ours", "baseline"):
            if kind not in summary:
                continue
            scores[kind] = {}
            for name, (width, height) in rung_sizes(kind=kind, source=source).items():
                playlist = os.path.join(summary[kind].out_dir, name, "index.m3u8")
                score, offset = vmaf(rendition=playlist, source=source, width=width, height=height)
                scores[kind][name] = score
                if offset:
                    print(f"  {kind} {name}: frames paired at an offset of {offset:+d}")
    figures = _figures(summary=summary, scores=scores)
    _print_report(summary=summary, scores=scores, figures=figures)
    if figures:
        record(**figures)
        print(f"written to {os.path.relpath(os.path.join(BENCH_DIR, 'results.json'), REPO_ROOT)}")
    if not options.keep:
        shutil.rmtree(work, ignore_errors=True)
    return figures


def _median(measurements: list[Measurement]) -> Measurement:
    def middle(values: list[float | None]) -> float | None:
        present = [value for value in values if value is not None]
        return statistics.median(present) if present else None

    return Measurement(
        kind=measurements[0].kind,
        wall_s=middle([m.wall_s for m in measurements]),  # type: ignore[arg-type]
        first_playable_s=middle([m.first_playable_s for m in measurements]),
        cpu_s=middle([m.cpu_s for m in measurements]),  # type: ignore[arg-type]
        peak_rss_mb=max(m.peak_rss_mb for m in measurements),
        output_bytes=measurements[-1].output_bytes,
        out_dir=measurements[-1].out_dir,
        viewer_wait_s=middle([m.viewer_wait_s for m in measurements]),
    )


def _figures(
    *, summary: dict[str, Measurement], scores: dict[str, dict[str, float]]
) -> dict[str, object]:
    figures: dict[str, object] = {}
    if "floor" in summary:
        figures["floor_s"] = round(summary["floor"].wall_s, 2)
    if "ours" not in summary or "baseline" not in summary:
        return figures
    ours, baseline = summary["ours"], summary["baseline"]
    assert ours.first_playable_s is not None and baseline.first_playable_s is not None
    figures.update(
        first_playable_s=round(ours.first_playable_s, 2),
        first_playable_baseline_s=round(baseline.first_playable_s, 2),
        first_playable_ratio=round(ours.first_playable_s / baseline.first_playable_s, 3),
        ladder_s=round(ours.wall_s, 2),
        baseline_ladder_s=round(baseline.wall_s, 2),
        ladder_ratio=round(ours.wall_s / baseline.wall_s, 3),
        bytes_ratio=round(ours.output_bytes / baseline.output_bytes, 3),
        peak_rss_mb=round(ours.peak_rss_mb, 1),
    )
    if ours.viewer_wait_s is not None:
        figures["viewer_wait_s"] = round(ours.viewer_wait_s, 2)
    if scores.get("ours") and scores.get("baseline"):
        common = [name for name in scores["ours"] if name in scores["baseline"]]
        figures["vmaf_delta_min"] = round(
            min(scores["ours"][name] - scores["baseline"][name] for name in common), 2
        )
    return figures


def _print_report(
    *,
    summary: dict[str, Measurement],
    scores: dict[str, dict[str, float]],
    figures: dict[str, object],
) -> None:
    columns = [kind for kind in ("ours", "baseline", "floor") if kind in summary]

    def row(label: str, values: list[str], note: str = "") -> None:
        print(f"{label:<24}" + "".join(f"{value:>12}" for value in values) + f"   {note}")

    def fmt(value: float | None, pattern: str) -> str:
        return "-" if value is None else pattern.format(value)

    print()
    row("", columns, "target (ours against the baseline)")
    row(
        "first playable, s",
        [fmt(summary[k].first_playable_s, "{:.2f}") for k in columns],
        _verdict(figures, "first_playable_ratio", TARGET_FIRST_PLAYABLE_RATIO, at_most=True),
    )
    row(
        "full ladder, s",
        [fmt(summary[k].wall_s, "{:.2f}") for k in columns],
        _verdict(figures, "ladder_ratio", TARGET_LADDER_RATIO, at_most=True),
    )
    row(
        "viewer waits, s",
        [fmt(summary[k].viewer_wait_s, "{:.2f}") for k in columns],
        "pressing play at first playable, then watching in real time",
    )
    row("CPU, s", [fmt(summary[k].cpu_s, "{:.1f}") for k in columns])
    row("peak memory, MB", [fmt(summary[k].peak_rss_mb, "{:.0f}") for k in columns])
    row(
        "output, MB",
        [fmt(summary[k].output_bytes / 1e6 if k != "floor" else None, "{:.2f}") for k in columns],
        _verdict(figures, "bytes_ratio", TARGET_BYTES_RATIO, at_most=True),
    )
    names = sorted(
        {name for per_kind in scores.values() for name in per_kind}, key=lambda n: -int(n[:-1])
    )
    for name in names:
        values = [fmt(scores.get(k, {}).get(name), "{:.2f}") for k in columns]
        note = ""
        if name in scores.get("ours", {}) and name in scores.get("baseline", {}):
            delta = scores["ours"][name] - scores["baseline"][name]
            ok = delta >= TARGET_VMAF_DELTA_MIN
            note = f"{delta:+.2f} (>= {TARGET_VMAF_DELTA_MIN:+.0f}) {'met' if ok else 'MISSED'}"
        row(f"VMAF {name} (first {VMAF_SECONDS:g} s)", values, note)
    print()
    print(json.dumps(figures, indent=2, sort_keys=True))


def _verdict(figures: dict[str, object], key: str, target: float, *, at_most: bool) -> str:
    value = figures.get(key)
    if not isinstance(value, int | float):
        return ""
    ok = value <= target if at_most else value >= target
    return f"x{value:.3f} ({'<=' if at_most else '>='} x{target:g}) {'met' if ok else 'MISSED'}"


if __name__ == "__main__":
    main()
