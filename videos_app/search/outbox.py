"""The pending-index queue: the only module that writes the SearchPending table.

A change to a video, channel or stream marks its document here (one UpdateItem, no
read); the indexer reads the marks, indexes each document as DynamoDB has it then, and
clears a mark only if nobody marked it again meanwhile. Since a document is always
indexed from its current state, marks need no order among themselves: the last
indexing of a document is of its newest state.

Only one indexer writes to the engine at a time: it holds a lease it renews.
"""

import json
import time
from dataclasses import dataclass

from videoplatform.dynamodb import all_shards, condition_failed, sharded_key
from videos_app.search.models import CONTROL, PENDING, PENDING_SHARDS, SearchPending

LEASE = "lease"
REBUILD = "rebuild"


@dataclass(frozen=True)
class Mark:
    doc_id: str
    version: int
    partition: str


def mark(doc_ids) -> None:
    """Queue documents to be indexed again (each once however often it is marked)."""
    now = int(time.time())
    for doc_id in dict.fromkeys(doc_ids):
        SearchPending(sharded_key(PENDING, doc_id, PENDING_SHARDS), doc_id).update(
            actions=[
                SearchPending.version.add(1),
                SearchPending.marked_at.set(SearchPending.marked_at | now),
            ]
        )


def pending(*, per_shard: int = 100) -> list[Mark]:
    """Up to ``per_shard`` waiting documents from every partition (consistent reads)."""
    marks = []
    for partition in all_shards(PENDING, PENDING_SHARDS):
        for item in SearchPending.query(partition, consistent_read=True, limit=per_shard):
            marks.append(Mark(item.doc_id, int(item.version), partition))
    return marks


def waiting_count() -> int:
    return sum(
        SearchPending.count(partition, consistent_read=True)
        for partition in all_shards(PENDING, PENDING_SHARDS)
    )


def clear(marks: list[Mark]) -> int:
    """Remove marks whose version is unchanged; returns how many were cleared."""
    cleared = 0
    for item in marks:
        try:
            SearchPending(item.partition, item.doc_id).delete(
                condition=SearchPending.version == item.version
            )
            cleared += 1
        except Exception as error:
            if not condition_failed(error):
                raise
    return cleared


# --- The indexer's lease ---------------------------------------------------------------


def lease_take(holder: str, *, seconds: float) -> bool:
    """Take or renew the writer's lease; False while another holder's is running."""
    now = time.time()
    try:
        SearchPending(CONTROL, LEASE, holder=holder, until=now + seconds).save(
            condition=SearchPending.holder.does_not_exist()
            | (SearchPending.holder == holder)
            | (SearchPending.until < now)
        )
    except Exception as error:
        if condition_failed(error):
            return False
        raise
    return True


def lease_release(holder: str) -> None:
    try:
        SearchPending(CONTROL, LEASE).delete(condition=SearchPending.holder == holder)
    except Exception as error:
        if not condition_failed(error):
            raise


# --- A rebuild's progress --------------------------------------------------------------


def rebuild_state() -> dict | None:
    try:
        item = SearchPending.get(CONTROL, REBUILD, consistent_read=True)
    except SearchPending.DoesNotExist:
        return None
    return json.loads(item.state or "{}")


def rebuild_save(state: dict) -> None:
    SearchPending(CONTROL, REBUILD, state=json.dumps(state)).save()


def rebuild_forget() -> None:
    SearchPending(CONTROL, REBUILD).delete()
