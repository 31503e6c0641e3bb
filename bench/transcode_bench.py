"""Compare our HLS encode with a PeerTube-style baseline on the same source, in one run.

Makes a 20 s 1280x720 30 fps sample with audio, then times:
  (a) baseline: one ffmpeg per rung, the top rung from the source and every
      lower rung from the top-rung file, x264 veryfast with -bf 16 -b_strategy 1;
      a VOD playlist is playable only when its process has ended, so the first
      playable moment is the end of the top-rung process;
  (b) ours: probe_source + encode_hls (lowest rung first, then one process for
      the rest), first playable when on_first_playable fires.
The two run --rounds times, alternating which goes first (ABBA), and the
median of each figure is reported: on a shared VM the wall clock drifts, and a
paired, order-balanced median is the least fooled by that. CPU seconds are
printed too as a steadier measure of work.
Prints the figures and merges them into .bench/results.json.

Run from the repository root: python bench/transcode_bench.py [--seconds 20] [--rounds 4]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

from videos_app.tests.media_samples import make_sample  # noqa: E402
from videos_app.transcoding.ffmpeg_encoder import encode_hls  # noqa: E402
from videos_app.transcoding.ladder import Rung, build_ladder  # noqa: E402
from videos_app.transcoding.probe import SourceInfo, ffmpeg_exe, probe_source  # noqa: E402

RESULTS_PATH = os.path.join(REPO_ROOT, ".bench", "results.json")
# PeerTube makes the lower rungs in this order after the top one.
BASELINE_LOWER_ORDER = (480, 360, 720, 240, 144)


def run_baseline(*, source_path: str, out_dir: str, info: SourceInfo) -> tuple[float, float]:
    """PeerTube-style encode; returns (wall seconds, seconds until a first playlist is complete)."""
    rungs = build_ladder(info=info)
    top, lower = rungs[0], rungs[1:]
    lower = sorted(
        lower,
        key=lambda r: (
            BASELINE_LOWER_ORDER.index(r.height) if r.height in BASELINE_LOWER_ORDER else 99
        ),
    )
    started = time.monotonic()
    top_file = _baseline_rung(source_path=source_path, out_dir=out_dir, rung=top, info=info)
    first_playable = time.monotonic() - started
    for rung in lower:
        # PeerTube derives every lower resolution from the top-rung output, not the original.
        _baseline_rung(source_path=top_file, out_dir=out_dir, rung=rung, info=info)
    return time.monotonic() - started, first_playable


def _baseline_rung(*, source_path: str, out_dir: str, rung: Rung, info: SourceInfo) -> str:
    rung_dir = os.path.join(out_dir, rung.name)
    os.makedirs(rung_dir, exist_ok=True)
    fps = round(rung.fps)
    playlist = os.path.join(rung_dir, "index.m3u8")
    args = [
        ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-y",
        "-loglevel",
        "error",
        "-i",
        source_path,
        "-vf",
        f"scale=w=-2:h={rung.height}",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-maxrate:v",
        str(rung.video_max_bitrate),
        "-bufsize:v",
        str(rung.video_max_bitrate * 2),
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
        # PeerTube copies AAC audio at <= 384 kb/s, which this sample is.
        "-c:a",
        "copy" if info.has_audio else "aac",
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
        os.path.join(rung_dir, "seg_%05d.m4s"),
        playlist,
    ]
    subprocess.run(args, check=True)
    # The next rung reads this rung's output, as PeerTube does with its mp4/HLS file.
    return playlist


def run_ours(*, source_path: str, out_dir: str) -> tuple[float, float]:
    """Our pipeline including the probe; returns (wall seconds, seconds until first playable)."""
    started = time.monotonic()
    first_playable: list[float] = []
    info = probe_source(source_path)
    encode_hls(
        source_path=source_path,
        out_dir=out_dir,
        info=info,
        on_first_playable=lambda files: first_playable.append(time.monotonic() - started),
    )
    return time.monotonic() - started, first_playable[0]


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _medians(rows: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    wall, first, cpu = zip(*rows, strict=True)
    return statistics.median(wall), statistics.median(first), statistics.median(cpu)


def merge_results(*, values: dict[str, float]) -> None:
    os.makedirs(os.path.dirname(RESULTS_PATH), exist_ok=True)
    existing: dict[str, object] = {}
    if os.path.exists(RESULTS_PATH):
        with open(RESULTS_PATH, encoding="utf-8") as handle:
            try:
                existing = json.load(handle)
            except json.JSONDecodeError:
                existing = {}
    existing.update(values)
    temporary = RESULTS_PATH + ".tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(existing, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(temporary, RESULTS_PATH)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=4, help="alternating runs of each")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    options = parser.parse_args()

    work = tempfile.mkdtemp(prefix="transcode-bench-")
    try:
        source = make_sample(
            os.path.join(work, "source.mp4"),
            width=1280,
            height=720,
            seconds=options.seconds,
            fps=30,
        )
        info = probe_source(source)
        rung_names = [rung.name for rung in build_ladder(info=info)]
        print(
            f"source: {info.width}x{info.height} {info.fps:g} fps {info.duration_s:g} s "
            f"{(info.bitrate_bps or 0) / 1e6:.1f} Mb/s; rungs: {rung_names}"
        )

        print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        runs: dict[str, list[tuple[float, float, float]]] = {"baseline": [], "ours": []}
        for round_number in range(1, options.rounds + 1):
            out = os.path.join(work, f"round{round_number}")
            order = ["baseline", "ours"] if round_number % 2 else ["ours", "baseline"]
            for name in order:
                cpu_before = _children_cpu_s()
                if name == "baseline":
                    wall, first = run_baseline(
                        source_path=source, out_dir=os.path.join(out, name), info=info
                    )
                else:
                    wall, first = run_ours(source_path=source, out_dir=os.path.join(out, name))
                runs[name].append((wall, first, _children_cpu_s() - cpu_before))
            print(
                f"round {round_number}: "
                + ", ".join(
                    f"{name} {runs[name][-1][0]:.2f} s (first playable {runs[name][-1][1]:.2f} s, "
                    f"cpu {runs[name][-1][2]:.1f} s)"
                    for name in ("baseline", "ours")
                )
            )
            if not options.keep:
                shutil.rmtree(out, ignore_errors=True)
        baseline_s, baseline_first_s, baseline_cpu_s = _medians(runs["baseline"])
        ours_s, ours_first_s, ours_cpu_s = _medians(runs["ours"])
        print(
            f"baseline (PeerTube-style): {baseline_s:.2f} s, "
            f"first playable at {baseline_first_s:.2f} s, cpu {baseline_cpu_s:.1f} s"
        )
        print(
            f"ours (encode_hls):         {ours_s:.2f} s, "
            f"first playable at {ours_first_s:.2f} s, cpu {ours_cpu_s:.1f} s"
        )
        print(f"load average after: {os.getloadavg()[0]:.2f}")

        values = {
            "transcode_baseline_s": round(baseline_s, 2),
            "transcode_ours_s": round(ours_s, 2),
            "transcode_speedup": round(baseline_s / ours_s, 2),
            "first_playable_baseline_s": round(baseline_first_s, 2),
            "first_playable_ours_s": round(ours_first_s, 2),
            "first_playable_speedup": round(baseline_first_s / ours_first_s, 2),
        }
        print(
            f"speedup: total x{values['transcode_speedup']}, "
            f"first playable x{values['first_playable_speedup']}"
        )
        merge_results(values=values)
        print(f"written to {os.path.relpath(RESULTS_PATH, REPO_ROOT)}")
    finally:
        if options.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
