"""Running the encode's ffmpeg processes and following their progress.

One process at a time: its `-progress` reports become a fraction done, a
watchdog kills it when its output time stands still, and a failure becomes one
readable line. Then the pieces for running two at once: a background run whose
failure stops the other, and one progress figure folded from both.
"""

from __future__ import annotations

import collections
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Sequence

from videos_app.transcoding.encode_errors import EncodeError
from videos_app.transcoding.hls_output import Rendition
from videos_app.transcoding.ladder import Rung
from videos_app.transcoding.probe import SourceInfo

# Decoding (and splitting) costs roughly this share of encoding the same pixels;
# only used to weigh the two processes in the progress figure.
_DECODE_COST_FACTOR = 0.3
_STDERR_LINES_KEPT = 40
_GENERIC_FFMPEG_LINES = ("conversion failed", "error opening output files", "error while filtering")
_LOG_PREFIX_RE = re.compile(r"^(\[[^\]]+\]\s*)+")


class _Stopped(Exception):
    """ffmpeg was killed because the other encode process failed; not a cause in itself."""


def run_with_progress(
    *,
    args: list[str],
    cwd: str,
    duration_s: float,
    on_fraction: Callable[[float], None],
    stage: str,
    stop: threading.Event,
    stall_timeout_s: float,
    on_tick: Callable[[], None] | None = None,
    pass_fd: int | None = None,
    stdin_fd: int | None = None,
    after_start: Callable[[], None] | None = None,
    niceness: int = 0,
) -> None:
    process = subprocess.Popen(
        [*_nice_prefix(niceness), *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL if stdin_fd is None else stdin_fd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        pass_fds=() if pass_fd is None else (pass_fd,),
        text=True,
        errors="replace",
    )
    if after_start is not None:
        after_start()
    stderr_tail: collections.deque[str] = collections.deque(maxlen=_STDERR_LINES_KEPT)
    last_activity = [time.monotonic()]
    stalled = threading.Event()
    stopped = threading.Event()  # killed because the other process failed

    def drain_stderr() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            stderr_tail.append(line.rstrip())

    def watchdog() -> None:
        while process.poll() is None:
            if time.monotonic() - last_activity[0] > stall_timeout_s:
                stalled.set()
                process.kill()
                return
            if stop.wait(1.0):
                stopped.set()
                process.kill()
                return

    threads = [
        threading.Thread(target=drain_stderr, daemon=True),
        threading.Thread(target=watchdog, daemon=True),
    ]
    for thread in threads:
        thread.start()
    try:
        assert process.stdout is not None
        furthest_us = -1
        for line in process.stdout:
            if line.startswith("out_time_us="):
                value = line.split("=", 1)[1].strip()
                if value.lstrip("-").isdigit() and int(value) > furthest_us:
                    furthest_us = int(value)
                    last_activity[0] = time.monotonic()
                    if duration_s > 0:
                        on_fraction(furthest_us / 1_000_000 / duration_s)
            elif line.startswith("progress="):
                if line.strip() == "progress=end":
                    last_activity[0] = time.monotonic()
                if on_tick is not None:
                    on_tick()  # the end of one report: ffmpeg has moved on since the last
        process.wait()
    except BaseException:
        # A callback asked us to stop (or we are being torn down): do not leave ffmpeg running.
        process.kill()
        process.wait()
        raise
    finally:
        threads[0].join(timeout=5)
    if stalled.is_set():
        raise EncodeError(f"ffmpeg stopped making progress while encoding {stage}")
    if stopped.is_set() and process.returncode != 0:
        raise _Stopped(stage)
    if process.returncode != 0:
        raise EncodeError(
            failure_reason(
                returncode=process.returncode, stderr_lines=list(stderr_tail), stage=stage
            )
        )


def _nice_prefix(niceness: int) -> list[str]:
    # nice(1) lowers the priority before ffmpeg starts any thread; every thread inherits it.
    nice = shutil.which("nice") if niceness else None
    return [nice, "-n", str(niceness)] if nice else []


def failure_reason(*, returncode: int, stderr_lines: list[str], stage: str) -> str:
    if returncode < 0:
        return f"ffmpeg was killed (signal {-returncode}) while encoding {stage}"
    for line in reversed(stderr_lines):
        cleaned = _LOG_PREFIX_RE.sub("", line).strip()
        if cleaned and not cleaned.lower().startswith(_GENERIC_FFMPEG_LINES):
            return f"ffmpeg failed while encoding {stage}: {cleaned[:200]}"
    return f"ffmpeg failed while encoding {stage} (exit code {returncode})"


class BackgroundRun:
    """Runs `target` in a thread; its failure sets `stop` and is raised again by `join`."""

    def __init__(self, *, target: Callable[[], Rendition], stop: threading.Event) -> None:
        self._target = target
        self._stop = stop
        self._result: Rendition | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self._result = self._target()
        except BaseException as error:  # a callback may raise anything, KeyboardInterrupt too
            self._error = error
            self._stop.set()

    def start(self) -> None:
        self._thread.start()

    def ended(self) -> bool:
        return self._thread.ident is not None and not self._thread.is_alive()

    def join(self) -> None:
        """Wait for the end; raise the target's own failure (being stopped is not one)."""
        if self._thread.ident is None:
            return  # never started
        self._thread.join()
        if self._error is not None and not isinstance(self._error, _Stopped):
            raise self._error

    def result(self) -> Rendition:
        self.join()
        if self._result is None:
            raise EncodeError("the encode was stopped before it finished")
        return self._result


def process_weights(*, info: SourceInfo, lowest: Rung, upper: Sequence[Rung]) -> list[float]:
    # The first process decodes; the second only scales and encodes.
    first = _DECODE_COST_FACTOR * info.width * info.height + lowest.width * lowest.height
    if not upper:
        return [first]
    return [first, sum(r.width * r.height for r in upper)]


class ProgressTracker:
    """Folds per-process fractions into one monotonic 0..1 figure."""

    def __init__(self, *, callback: Callable[[float], None] | None, weights: list[float]) -> None:
        self._callback = callback
        self._weights = weights
        self._fractions = [0.0] * len(weights)
        self._last = -1.0
        # Both encode processes report, each from its own thread; the caller sees one series.
        self._lock = threading.Lock()

    def update(self, index: int, fraction: float) -> None:
        with self._lock:
            self._fractions[index] = max(self._fractions[index], min(1.0, fraction))
            done = sum(w * f for w, f in zip(self._weights, self._fractions, strict=True))
            total = done / sum(self._weights)
            # Report in whole-percent steps so a caller that writes to a database is not flooded.
            if self._callback is not None and total >= self._last + 0.01:
                self._last = total
                self._callback(min(total, 0.999))

    def finish(self) -> None:
        if self._callback is not None:
            self._callback(1.0)
