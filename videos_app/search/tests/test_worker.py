"""The search worker: one writer at a time, standing aside for a live rebuild, carrying
on through an engine outage."""

import threading
import time

from conftest import unique
from videoplatform.testing.requests import count_dynamodb_requests
from videos_app.search import outbox, worker
from videos_app.search.base import SearchUnavailable
from videos_app.search.indexer import REBUILD_STALE_S, rebuild_elsewhere


def test_only_one_worker_holds_the_lease(engine):
    first, second = unique("w"), unique("w")
    assert outbox.lease_take(first, seconds=30)
    try:
        assert not outbox.lease_take(second, seconds=30)
        assert worker.SearchWorker(backend=engine, holder=second).work_once() is None
        assert outbox.lease_take(first, seconds=30)  # its own lease renews
    finally:
        outbox.lease_release(first)
    assert outbox.lease_take(second, seconds=30)
    outbox.lease_release(second)


def test_an_idle_worker_renews_its_lease_at_half_time_and_checks_rebuilds_now_and_then(
    engine,
):
    looker = worker.SearchWorker(backend=engine, holder=unique("w"))
    try:
        with count_dynamodb_requests() as first:
            assert looker.work_once(now=1_000.0) is not None
        assert first.count("PutItem") == 1 and first.count("GetItem") == 1
        with count_dynamodb_requests() as later:
            assert looker.work_once(now=1_001.0) is not None
        assert later == ["Query"] * 4  # only the queue's partitions
        with count_dynamodb_requests() as renewing:
            looker.work_once(now=1_000.0 + worker.LEASE_S / 2 + 1)
        assert renewing.count("PutItem") == 1 and renewing.count("GetItem") == 1
    finally:
        looker.release()


def test_an_expired_lease_can_be_taken_over(engine):
    gone, next_one = unique("w"), unique("w")
    assert outbox.lease_take(gone, seconds=0.01)
    time.sleep(0.05)
    assert outbox.lease_take(next_one, seconds=30)
    outbox.lease_release(next_one)


def test_a_worker_stands_aside_while_a_rebuild_elsewhere_is_alive(engine):
    holder = unique("w")
    outbox.rebuild_save({"target": "index-x", "holder": "other", "heartbeat": time.time()})
    try:
        assert rebuild_elsewhere(holder)
        assert worker.SearchWorker(backend=engine, holder=holder).work_once() is None
        stale = time.time() + REBUILD_STALE_S + 1
        assert not rebuild_elsewhere(holder, now=stale)
    finally:
        outbox.rebuild_forget()
    assert not rebuild_elsewhere(holder)


class FlakyEngine:
    """Down for the first ``failures`` writes, then the real engine."""

    def __init__(self, engine, failures: int):
        self.engine, self.failures, self.calls = engine, failures, 0

    def apply(self, **kwargs):
        self.calls += 1
        if self.calls <= self.failures:
            raise SearchUnavailable("connection refused")
        return self.engine.apply(**kwargs)


def test_the_loop_backs_off_while_the_engine_is_down_and_drains_when_it_is_back(engine):
    doc_id = f"video:{unique('missing')}"  # no such video: indexed as a delete
    outbox.mark([doc_id])
    flaky = FlakyEngine(engine, failures=2)
    stop = threading.Event()
    holder = unique("w")
    result = {}
    thread = threading.Thread(
        target=lambda: result.update(
            tally=worker.run(backend=flaky, holder=holder, stop=stop, poll_s=0.02)
        )
    )
    thread.start()
    deadline = time.monotonic() + 10
    while outbox.pending(per_shard=100) and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join(timeout=10)
    assert outbox.pending(per_shard=100) == []
    assert result["tally"].failures == 2
    assert result["tally"].deleted >= 1
    assert outbox.lease_take(unique("w"), seconds=0.01)  # released on the way out
