"""The web benchmark's load generator and its arithmetic: Debian's wrk on loopback, its
output read back, and each page's figures as ratios to the bare view of the same round.

wrk (C, one thread, epoll) costs a fraction of a core at the rates a Django app reaches,
so on a two-core machine nearly all of the CPU is left to gunicorn and the local servers.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

WRK_INSTALL = "apt-get install wrk"
CONNECTIONS = 8
BASELINE = "bare"
BARE_PATH = "/bench/bare/"  # served by bench.web_urls

# wrk calls done() once at the end of a run; one JSON line carries what we read
# (latency percentiles in microseconds, exact from wrk's histogram).
REPORT_SCRIPT = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "p50_us": %.1f, "p99_us": %.1f, ' ..
    '"status_errors": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
"""
_JSON_LINE_RE = re.compile(r"^WRK_JSON (\{.*\})\s*$", re.MULTILINE)
_SUMMARY_RE = re.compile(r"(\d+) requests in ([\d.]+)(us|ms|s|m)\b")
_PERCENTILE_RE = re.compile(r"^\s*(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m)\s*$", re.MULTILINE)
_NON_2XX_RE = re.compile(r"Non-2xx or 3xx responses:\s*(\d+)")
_SOCKET_RE = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_TO_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


class LoadError(RuntimeError):
    pass


@dataclass(frozen=True)
class LoadRun:
    """One bounded wrk run against one URL."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int = 0  # answers of 400 and up, and socket errors (timeouts included)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def parse_wrk_output(text: str) -> LoadRun:
    """Read a run from wrk's output: the JSON line of REPORT_SCRIPT when there is one,
    else wrk's own text (which needs ``--latency`` for the percentiles)."""
    found = _JSON_LINE_RE.search(text)
    if found:
        data = json.loads(found.group(1))
        return LoadRun(
            requests=int(data["requests"]),
            seconds=data["duration_us"] / 1e6,
            p50_ms=data["p50_us"] / 1000,
            p99_ms=data["p99_us"] / 1000,
            errors=int(data["status_errors"]) + int(data["socket_errors"]),
        )
    summary = _SUMMARY_RE.search(text)
    percentiles = {int(p): float(v) * _TO_MS[unit] for p, v, unit in _PERCENTILE_RE.findall(text)}
    if not summary or set(percentiles) != {50, 99}:
        raise LoadError(f"unreadable wrk output:\n{text[-2000:]}")
    errors = sum(int(n) for n in _NON_2XX_RE.findall(text))
    for groups in _SOCKET_RE.findall(text):
        errors += sum(int(n) for n in groups)
    return LoadRun(
        requests=int(summary.group(1)),
        seconds=float(summary.group(2)) * _TO_MS[summary.group(3)] / 1000,
        p50_ms=percentiles[50],
        p99_ms=percentiles[99],
        errors=errors,
    )


def wrk_path() -> str:
    found = shutil.which("wrk")
    if not found:
        raise LoadError(f"wrk is missing (the web benchmark's load generator): {WRK_INSTALL}")
    return found


def wrk_version() -> str:
    """`debian/4.1.0-3+b2`: what made the figures (Debian's stable release pins it)."""
    done = subprocess.run([wrk_path(), "--version"], capture_output=True, text=True, check=False)
    found = re.search(r"wrk (\S+)", done.stdout + done.stderr)
    return found.group(1) if found else "unknown"


def wrk_command(
    url: str,
    *,
    seconds: float,
    headers: Mapping[str, str],
    script: str,
    connections: int = CONNECTIONS,
) -> list[str]:
    command = [
        wrk_path(),
        "--threads",
        "1",
        "--connections",
        str(connections),
        "--duration",
        f"{max(1, round(seconds))}s",
        # Past wrk's default 2 s a slow answer would count as an error, not as latency.
        "--timeout",
        "30s",
        "--latency",
        "--script",
        script,
    ]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    return [*command, url]


class Wrk:
    """Runs wrk with the report script, which lives in a temporary file while this is open."""

    def __init__(self) -> None:
        wrk_path()
        handle, self.script = tempfile.mkstemp(prefix="web-bench-", suffix=".lua")
        with os.fdopen(handle, "w") as out:
            out.write(REPORT_SCRIPT)

    def close(self) -> None:
        if os.path.exists(self.script):
            os.unlink(self.script)

    def __enter__(self) -> Wrk:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def run(
        self,
        url: str,
        *,
        seconds: float,
        headers: Mapping[str, str],
        connections: int = CONNECTIONS,
    ) -> LoadRun:
        command = wrk_command(
            url, seconds=seconds, headers=headers, script=self.script, connections=connections
        )
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=seconds + 60, check=False
            )
        except subprocess.TimeoutExpired as error:
            raise LoadError(f"wrk did not finish: {url}") from error
        if done.returncode != 0:
            raise LoadError(f"wrk failed ({done.returncode}) on {url}: {done.stderr.strip()}")
        return parse_wrk_output(done.stdout)


# --- Figures --------------------------------------------------------------------------


@dataclass(frozen=True)
class PageFigures:
    """A page's medians over the rounds; ratios are taken per round, then their median."""

    rps: float
    p50_ms: float
    p99_ms: float
    rps_ratio: float
    p99_ratio: float
    errors: int


def ratio(value: float, baseline: float) -> float:
    return value / baseline if baseline else float("nan")


def page_figures(
    rounds: Sequence[Mapping[str, LoadRun]], *, baseline: str = BASELINE
) -> dict[str, PageFigures]:
    """Each page's figures over ``rounds`` (each round: page name -> its run, the
    baseline among them): requests/s and p99 as ratios to the baseline of the same round,
    so a machine that slows down between rounds moves both sides of each ratio."""
    if not rounds:
        raise ValueError("no rounds")
    figures = {}
    for name in rounds[0]:
        runs = [r[name] for r in rounds]
        bases = [r[baseline] for r in rounds]
        figures[name] = PageFigures(
            rps=statistics.median(run.rps for run in runs),
            p50_ms=statistics.median(run.p50_ms for run in runs),
            p99_ms=statistics.median(run.p99_ms for run in runs),
            rps_ratio=statistics.median(
                ratio(run.rps, base.rps) for run, base in zip(runs, bases, strict=True)
            ),
            p99_ratio=statistics.median(
                ratio(run.p99_ms, base.p99_ms) for run, base in zip(runs, bases, strict=True)
            ),
            errors=sum(run.errors for run in runs),
        )
    return figures
