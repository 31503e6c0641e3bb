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
import json
import os
import shutil
import statistics
import subprocess
import sys
from collections.abc import Sequence

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from bench.results import BENCH_DIR, record  # noqa: E402
from bench.transcode_pipelines import RUNNERS, rung_sizes  # noqa: E402
from bench.transcode_quality import VMAF_SECONDS, vmaf  # noqa: E402
from bench.transcode_sources import SOURCE_SECONDS, ensure_source  # noqa: E402
from videos_app.transcoding.probe import probe_source  # noqa: E402

# Ours against the baseline; "at most" for the ratios, "at least" for VMAF.
TARGET_FIRST_PLAYABLE_RATIO = 0.1
TARGET_LADDER_RATIO = 0.6
TARGET_BYTES_RATIO = 1.15
TARGET_VMAF_DELTA_MIN = -1.0
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
        figures = RUNNERS[options.child](source=options.source, out_dir=options.out)
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
