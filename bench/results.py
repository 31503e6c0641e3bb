"""The one place benchmarks write their figures: `.bench/results.json` (git-ignored).

Each benchmark merges its own keys, so running one leaves the others' figures alone.
"""

from __future__ import annotations

import json
import os

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH_DIR = os.path.join(REPO_ROOT, ".bench")
RESULTS_PATH = os.path.join(BENCH_DIR, "results.json")


def record(**figures: object) -> dict[str, object]:
    """Merge `figures` into .bench/results.json and return the whole merged set."""
    os.makedirs(BENCH_DIR, exist_ok=True)
    merged: dict[str, object] = {}
    try:
        with open(RESULTS_PATH, encoding="utf-8") as handle:
            loaded = json.load(handle)
        if isinstance(loaded, dict):
            merged = loaded
    except (FileNotFoundError, json.JSONDecodeError):
        pass
    merged.update(figures)
    # Write-then-rename: a run killed half-way never leaves a truncated file.
    temporary = RESULTS_PATH + ".tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(merged, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(temporary, RESULTS_PATH)
    return merged
