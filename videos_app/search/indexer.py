"""The indexer: drains the pending-index queue into the engine, and rebuilds the whole
index from DynamoDB aside from the live one, then swaps.

One writer at a time holds the lease (videos_app.search.outbox). While a rebuild is
under way its target gets every drained change too, so nothing changed during the
build is missing after the swap; the worker stands aside while someone else's rebuild
is alive (its heartbeat recent) and carries on, writing to both, once it is not.
"""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from channels_app.models import Channel
from live_app.models import LIVE_NOW, LIVE_SHARDS, LivestreamSession
from videoplatform.dynamodb import all_shards
from videos_app.models import FEED, FEED_SHARDS, Video
from videos_app.search import outbox
from videos_app.search.base import Kind, SearchBackend, doc_id_for
from videos_app.search.documents import documents_for

LEASE_S = 30.0
REBUILD_STALE_S = 2 * LEASE_S


@dataclass
class DrainTally:
    indexed: int = 0
    deleted: int = 0
    cleared: int = 0


def _rebuild_target() -> str | None:
    state = outbox.rebuild_state()
    return state.get("target") if state else None


def rebuild_elsewhere(holder: str, *, now: float | None = None) -> bool:
    """True while another process's rebuild is alive: the worker leaves it the lease."""
    state = outbox.rebuild_state()
    if not state or state.get("holder") == holder:
        return False
    return (now or time.time()) - float(state.get("heartbeat", 0)) < REBUILD_STALE_S


def drain_once(*, backend: SearchBackend, per_shard: int = 100) -> DrainTally:
    """Index every waiting document (up to ``per_shard`` per partition) from its current
    state, then clear the marks nobody renewed meanwhile. Raises SearchUnavailable
    (the marks stay for the next try) when the engine is down."""
    tally = DrainTally()
    marks = outbox.pending(per_shard=per_shard)
    if not marks:
        return tally
    documents = documents_for([m.doc_id for m in marks])
    upserts = [doc for doc in documents.values() if doc is not None]
    deletes = [doc_id for doc_id, doc in documents.items() if doc is None]
    backend.apply(upserts=upserts, deletes=deletes)
    target = _rebuild_target()
    if target:
        backend.apply(upserts=upserts, deletes=deletes, target=target)
    # A channel's name and handle are in each of its videos' documents.
    renamed = [doc.channel_id for doc in upserts if doc.kind == Kind.CHANNEL]
    for channel_id in renamed:
        outbox.mark(doc_id_for(Kind.VIDEO, v) for v in _channel_video_ids(channel_id))
    tally.indexed, tally.deleted = len(upserts), len(deletes)
    tally.cleared = outbox.clear(marks)
    return tally


def drain_until_idle(*, backend: SearchBackend, rounds: int = 50) -> DrainTally:
    total = DrainTally()
    for _ in range(rounds):
        tally = drain_once(backend=backend)
        total.indexed += tally.indexed
        total.deleted += tally.deleted
        total.cleared += tally.cleared
        if not tally.cleared and not outbox.pending(per_shard=1):
            break
    return total


def _channel_video_ids(channel_id: str) -> Iterator[str]:
    for video in Video.channel_public_index.query(channel_id, attributes_to_get=["video_id"]):
        yield video.video_id


# --- Rebuilding -------------------------------------------------------------------------

# What a rebuild walks, in order: every listed video (the feed index's partitions), every
# channel (a paged Scan: there is no listing of all channels, and a rebuild is the one
# reader that needs them all), every live stream (the live index's partitions).
SOURCES = ("videos", "channels", "live")


def _pages(source: str, cursor: dict, page_size: int) -> Iterator[tuple[list[str], dict]]:
    """(doc ids, cursor after them) page by page from ``cursor`` ({} at the start)."""
    if source == "channels":
        last_key = cursor.get("last_key")
        while True:
            result = Channel.scan(
                limit=page_size, last_evaluated_key=last_key, attributes_to_get=["channel_id"]
            )
            ids = [doc_id_for(Kind.CHANNEL, c.channel_id) for c in result]
            last_key = result.last_evaluated_key
            yield ids, {"last_key": last_key}
            if not last_key:
                return
    index, base, shards, kind = {
        "videos": (Video.feed_shard_index, FEED, FEED_SHARDS, Kind.VIDEO),
        "live": (LivestreamSession.live_index, LIVE_NOW, LIVE_SHARDS, Kind.LIVE),
    }[source]
    partitions = all_shards(base, shards)
    start = cursor.get("partition", 0)
    last_key = cursor.get("last_key")
    for number in range(start, len(partitions)):
        while True:
            result = index.query(partitions[number], limit=page_size, last_evaluated_key=last_key)
            items = list(result)
            item_ids = [getattr(item, "video_id", None) or item.stream_id for item in items]
            last_key = result.last_evaluated_key
            done = not last_key
            after = {"partition": number + 1 if done else number, "last_key": last_key}
            yield [doc_id_for(kind, i) for i in item_ids], after
            if done:
                break


@dataclass
class RebuildTally:
    found: dict
    target: str = ""
    resumed: bool = False
    swapped: bool = False


def rebuild(
    *,
    backend: SearchBackend,
    holder: str,
    page_size: int = 200,
    dry_run: bool = False,
    restart: bool = False,
    say: Callable[[str], None] = lambda _line: None,
    stop_after_pages: int | None = None,
) -> RebuildTally:
    """Build the whole index from DynamoDB into a new target, page by page, saving the
    position after each page (an interrupted rebuild resumes there), then swap it in.
    ``dry_run`` walks and counts without writing anything."""
    tally = RebuildTally(found=dict.fromkeys(SOURCES, 0))
    if dry_run:
        for source in SOURCES:
            for ids, _after in _pages(source, {}, page_size):
                documents = documents_for(ids)
                tally.found[source] += sum(1 for doc in documents.values() if doc is not None)
        return tally

    state = outbox.rebuild_state()
    if state and restart:
        backend.rebuild_abandon(state["target"])
        outbox.rebuild_forget()
        state = None
    if state:
        tally.resumed = True
        say(f"Resuming the rebuild into {state['target']} at {state['source']}.")
    else:
        state = {"target": backend.rebuild_begin(), "source": SOURCES[0], "cursor": {}}
        tally.found = dict.fromkeys(SOURCES, 0)
    state.update(holder=holder, heartbeat=time.time())
    outbox.rebuild_save(state)  # from now on, drained changes reach the target too
    tally.target = state["target"]
    _wait_for_lease(holder)

    pages = 0
    try:
        for source in SOURCES[SOURCES.index(state["source"]) :]:
            cursor = state["cursor"] if source == state["source"] else {}
            for ids, after in _pages(source, cursor, page_size):
                documents = documents_for(ids)
                upserts = [doc for doc in documents.values() if doc is not None]
                backend.apply(upserts=upserts, deletes=[], target=state["target"])
                tally.found[source] = tally.found.get(source, 0) + len(upserts)
                # Changes waiting meanwhile go to the live index and the target.
                drain_once(backend=backend)
                state.update(source=source, cursor=after, heartbeat=time.time())
                outbox.rebuild_save(state)
                outbox.lease_take(holder, seconds=LEASE_S)
                pages += 1
                if stop_after_pages is not None and pages >= stop_after_pages:
                    return tally
            say(f"  {source}: {tally.found[source]} documents")
        drain_once(backend=backend)
        backend.rebuild_swap(state["target"])
        outbox.rebuild_forget()
        tally.swapped = True
        return tally
    finally:
        outbox.lease_release(holder)


def _wait_for_lease(holder: str, *, timeout_s: float = 3 * LEASE_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not outbox.lease_take(holder, seconds=LEASE_S):
        if time.monotonic() > deadline:
            raise TimeoutError("Another indexer holds the search lease.")
        time.sleep(0.2)
