"""Scale benchmark: the write path before the scale refactor against today's, side by
side on DynamoDB Local.

For views, likes, comments and subscribes it measures the write capacity units (WCU)
one operation consumes, base tables and indexes together, as DynamoDB Local reports
them (``ReturnConsumedCapacity="INDEXES"``). Local charges a write inside a
TransactWriteItems 4x the item's units where AWS documents 2x, so the output also gives
the figures at AWS's price (not recorded). It measures the largest share of the item
writes of 2,000 views over 200 videos that lands on one partition key (each base-table
item write and each index entry write counts one), and what one hot video does under
500 concurrent like/unlike toggles plus 2,000 views: errors, and whether the counts come
out exact. (DynamoDB Local runs writes one at a time: it raises no TransactionConflict
and throttles nothing, so the old path's hot-video errors show as 0 here.)

"Before" is ``bench/legacy_write_path.py`` (a copy of the old writes, on the old models
copied into ``bench/legacy_models.py``, in the bench's own ``legacy_`` tables). "After"
is the app's own services, run in a child process (``python -m bench.scale_bench
--after-half OUT``) so that a refactor still under way can be waited for and retried with
fresh code. Left out on both sides, and said so in the output: the per-user rate-limit
counters (the old copy has no checks), the comment's notification to the video owner
and the subscribe's feed backfill (the old copy writes neither).

This module runs the whole and prints the summary; ``bench/scale_half.py`` holds the
steps both halves take, ``bench/scale_before.py`` and ``bench/scale_after.py`` the two
sides, and ``bench/capacity_meter.py`` the ReturnConsumedCapacity meter.

    python -m bench scale [-- --ops 50 --videos 200 --skip-fanout ...]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback

from bench.results import REPO_ROOT
from bench.scale_after import run_child
from bench.scale_before import LegacySide
from bench.scale_half import run_half

SHARE_GOAL = 0.02
RETRY_SLEEP_S = 120


def _options(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench scale")
    parser.add_argument("--ops", type=int, default=50, help="operations per WCU figure")
    parser.add_argument("--videos", type=int, default=200, help="videos the views spread over")
    parser.add_argument("--channels", type=int, default=20, help="channels those videos are in")
    parser.add_argument("--views-per-video", type=int, default=10)
    parser.add_argument("--spread-threads", type=int, default=8)
    parser.add_argument("--toggles", type=int, default=500, help="hot video like/unlike toggles")
    parser.add_argument("--hot-views", type=int, default=2000, help="hot video views")
    parser.add_argument("--clients", type=int, default=16, help="hot video concurrent clients")
    parser.add_argument("--users-per-client", type=int, default=4)
    parser.add_argument("--wait-minutes", type=float, default=60, help="wait for the after path")
    parser.add_argument("--skip-fanout", action="store_true")
    parser.add_argument("--fanout-subscribers", type=int, default=100_000)
    parser.add_argument("--after-half", metavar="OUT", help=argparse.SUPPRESS)
    parser.add_argument("--fanout-half", metavar="OUT", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _run_child(flag: str, argv: list[str]) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = handle.name
    try:
        command = [sys.executable, "-m", "bench.scale_bench", *argv, flag, out]
        completed = subprocess.run(command, env=dict(os.environ), cwd=REPO_ROOT, check=False)
        if completed.returncode != 0:
            raise RuntimeError(f"the {flag[2:]} process exited {completed.returncode}")
        with open(out, encoding="utf-8") as handle:
            return json.load(handle)
    finally:
        os.unlink(out)


def _after_with_waiting(argv: list[str], wait_minutes: float) -> dict | None:
    """The after half; while the refactor is mid-way (it fails), wait and try again."""
    deadline = time.monotonic() + wait_minutes * 60
    attempt = 0
    while True:
        attempt += 1
        try:
            return _run_child("--after-half", argv)
        except Exception as error:
            print(f"  [after] attempt {attempt} failed: {error}", flush=True)
        if time.monotonic() + RETRY_SLEEP_S > deadline:
            return None
        print(
            f"  [after] waiting {RETRY_SLEEP_S} s for the refactor, then trying again", flush=True
        )
        time.sleep(RETRY_SLEEP_S)


def _ratio(after, before) -> str:
    if not before:
        return "n/a (before is 0)"
    return f"{after / before:.3f}"


PAIRED = (
    "wcu_per_view",
    "wcu_per_like",
    "wcu_per_comment",
    "wcu_per_subscribe",
    "max_key_write_share",
    "hot_video_errors",
)


def _shown(value) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _print_pair(key: str, a, b) -> None:
    ratio = _ratio(a, b) if a is not None and b is not None else "-"
    print(f"  {key:22} after {_shown(a):>8}   before {_shown(b):>8}   after/before {ratio}")


def _summary(before: dict, after: dict | None, fanout: dict) -> None:
    after = after or {}
    print("\nFigures (after = today's path, before = the old one; DynamoDB Local's units):")
    for key in PAIRED:
        _print_pair(key, after.get(key), before.get(key))
    if after:
        share = after["max_key_write_share"]
        verdict = "met" if share <= SHARE_GOAL else "NOT met"
        print(f"  max key share after {share:.2%}: goal at most {SHARE_GOAL:.0%} {verdict}")
        print(f"  hot_video_counts_exact {after['hot_video_counts_exact']}")
    print("  With transactions at AWS's documented price (2x the item's units; Local charges 4x):")
    for key in PAIRED[:4]:
        a = (after.get("aws_price") or {}).get(key)
        b = (before.get("aws_price") or {}).get(key)
        _print_pair(key, a, b)
    for key in sorted(fanout):
        print(f"  {key:22} {fanout[key]}")


def _recorded(figures: dict) -> dict:
    return {k: v for k, v in figures.items() if k != "aws_price"}


def main(argv: list[str]) -> dict:
    options = _options(argv)
    from bench.results import record
    from bench.stack import django_with_stack

    django_with_stack()
    print(
        "Left out of every figure: per-user rate-limit counter writes (the old copy has no "
        "checks; the new path's limits are raised for the run), the comment's notification "
        "to the video owner and the subscribe's feed backfill (the old copy writes neither).",
        flush=True,
    )
    from bench.legacy_models import delete_tables

    try:
        before = run_half(LegacySide(), options)
    finally:
        delete_tables()
    before.pop("hot_video_counts_exact")  # recorded for the after path only
    results = record(**{f"{key}_before": value for key, value in _recorded(before).items()})

    after = _after_with_waiting(argv, options.wait_minutes)
    if after is None:
        print(
            "after half not measured: the new write path did not run within "
            f"{options.wait_minutes:g} minutes (see the failures above)",
            flush=True,
        )
        # No figures from an older run beside this run's "before" ones.
        results = record(**dict.fromkeys((*PAIRED, "hot_video_counts_exact")))
    else:
        results = record(**_recorded(after))

    fanout: dict = {}
    if options.skip_fanout:
        print("fan-out: skipped (--skip-fanout)")
    elif importlib.util.find_spec("bench.fanout_scale") is None:
        print("fan-out: skipped (bench/fanout_scale.py does not exist)")
    else:
        try:
            fanout = _run_child("--fanout-half", argv)
            results = record(**fanout)
        except Exception as error:
            print(f"fan-out: failed: {error}")

    _summary(before, after, fanout)
    return results


if __name__ == "__main__":
    args = sys.argv[1:]
    if "--after-half" in args or "--fanout-half" in args:
        try:
            run_child(_options(args))
        except Exception:
            traceback.print_exc()
            sys.exit(1)
    else:
        main(args)
