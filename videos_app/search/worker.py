"""The search worker's loop: hold the writer's lease, drain the pending-index queue,
wait when there is nothing to do, back off while the engine is down.

An idle worker costs four Queries per look (one per queue partition); the lease is
renewed when half of it has run, and whether a rebuild elsewhere wants the lease is read
every REBUILD_CHECK_S, not on every look."""

import logging
import threading
import time
from dataclasses import dataclass

from videos_app.search import outbox
from videos_app.search.base import SearchBackend, SearchUnavailable
from videos_app.search.indexer import LEASE_S, DrainTally, drain_once, rebuild_elsewhere

logger = logging.getLogger(__name__)

MAX_BACKOFF_S = 30.0
REBUILD_CHECK_S = 5.0


@dataclass
class WorkerTally:
    indexed: int = 0
    deleted: int = 0
    failures: int = 0


class SearchWorker:
    def __init__(self, *, backend: SearchBackend, holder: str):
        self.backend = backend
        self.holder = holder
        self.lease_until = 0.0
        self.rebuild_checked_at = float("-inf")

    def _may_write(self, now: float) -> bool:
        if now - self.rebuild_checked_at >= REBUILD_CHECK_S:
            self.rebuild_checked_at = now
            if rebuild_elsewhere(self.holder):
                self.release()
                return False
        if self.lease_until - now < LEASE_S / 2:
            if not outbox.lease_take(self.holder, seconds=LEASE_S):
                self.lease_until = 0.0
                return False
            self.lease_until = now + LEASE_S
        return True

    def work_once(self, *, now: float | None = None) -> DrainTally | None:
        """One round: None when this worker may not write now (another holds the lease,
        or a rebuild elsewhere is under way), else what it drained."""
        if not self._may_write(time.time() if now is None else now):
            return None
        return drain_once(backend=self.backend)

    def release(self) -> None:
        if self.lease_until:
            outbox.lease_release(self.holder)
        self.lease_until = 0.0


def run(
    *, backend: SearchBackend, holder: str, stop: threading.Event, poll_s: float = 0.5
) -> WorkerTally:
    tally = WorkerTally()
    worker = SearchWorker(backend=backend, holder=holder)
    backoff = poll_s
    try:
        while not stop.is_set():
            try:
                drained = worker.work_once()
            except SearchUnavailable as error:
                # The marks stay in the queue; they are applied once the engine answers.
                tally.failures += 1
                logger.warning("search engine unavailable, retrying in %.1fs: %s", backoff, error)
                stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
                continue
            backoff = poll_s
            if drained is None or not drained.cleared:
                stop.wait(poll_s)
                continue
            tally.indexed += drained.indexed
            tally.deleted += drained.deleted
    finally:
        worker.release()
    return tally
