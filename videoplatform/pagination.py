"""Cursor pagination over DynamoDB queries.

A cursor is DynamoDB's LastEvaluatedKey, signed so that a client cannot hand us an
arbitrary start key; a bad or tampered cursor simply starts from the beginning.
The signature also covers the list it came from (table, index, partition): DynamoDB
rejects a start key from another list with a ValidationException, so a genuine cursor
pasted onto another page must start that page from the beginning too.
"""

from dataclasses import dataclass, field

from django.core import signing
from pynamodb.indexes import Index

_SALT = "videoplatform.cursor"


def encode_cursor(key: dict | None, *, scope: str = "") -> str | None:
    if not key:
        return None
    return signing.dumps(key, salt=f"{_SALT}:{scope}", compress=True)


def decode_cursor(cursor: str | None, *, scope: str = "", max_length: int = 2000) -> dict | None:
    if not cursor or len(cursor) > max_length:
        return None
    try:
        value = signing.loads(cursor, salt=f"{_SALT}:{scope}")
    except signing.BadSignature:
        return None
    return value if isinstance(value, dict) else None


@dataclass
class Page:
    items: list = field(default_factory=list)
    next_cursor: str | None = None
    # HTML rendered from this page (videoplatform.fragments): a page a process remembers
    # for every viewer carries what was rendered from it for as long as it is remembered.
    fragments: dict = field(default_factory=dict, compare=False, repr=False)
    # The serial it is remembered under (videoplatform.local_cache), None if it is not.
    remembered_as: int | None = None


def query_page(
    index_or_model,
    hash_key,
    *,
    limit: int,
    cursor: str | None,
    newest_first: bool = True,
    **query_kwargs,
) -> Page:
    """One page of a query: at most ``limit`` items, one DynamoDB request per page."""
    scope = _query_scope(index_or_model, hash_key)
    results = index_or_model.query(
        hash_key,
        scan_index_forward=not newest_first,
        limit=limit,
        page_size=limit,
        last_evaluated_key=decode_cursor(cursor, scope=scope),
        **query_kwargs,
    )
    items = list(results)
    return Page(items=items, next_cursor=encode_cursor(results.last_evaluated_key, scope=scope))


def _query_scope(index_or_model, hash_key) -> str:
    if isinstance(index_or_model, Index):
        table, index = index_or_model._model.Meta.table_name, index_or_model.Meta.index_name
        return f"{table}/{index}/{hash_key}"
    return f"{index_or_model.Meta.table_name}//{hash_key}"


def _start_key(index_or_model, item) -> dict:
    """The key DynamoDB would resume a query after ``item`` from (table and index keys)."""
    is_index = isinstance(index_or_model, Index)
    model = index_or_model._model if is_index else index_or_model
    attributes = [a for a in model.get_attributes().values() if a.is_hash_key or a.is_range_key]
    if is_index:
        attributes += [
            a for a in index_or_model.Meta.attributes.values() if a.is_hash_key or a.is_range_key
        ]
    return {a.attr_name: {a.attr_type: a.serialize(getattr(item, a.attr_name))} for a in attributes}


_DONE = "done"
# Several partitions' positions fit in one cursor.
MERGED_CURSOR_MAX = 8000


def merged_page(
    index_or_model,
    partitions: list[str],
    *,
    sort_attribute: str,
    limit: int,
    cursor: str | None,
    newest_first: bool = True,
    **query_kwargs,
) -> Page:
    """One page of a listing split over several partitions, in sort-key order.

    Each partition is queried for at most ``limit`` items from where the cursor left it
    (one request each, so a page costs ``len(partitions)`` Queries whatever the data
    size); the first ``limit`` of the merge are the page, and the cursor remembers how
    far each partition got."""
    scope = "merged:" + _query_scope(index_or_model, ",".join(partitions))
    state = decode_cursor(cursor, scope=scope, max_length=MERGED_CURSOR_MAX) or {}
    read: list[tuple[str, list, bool]] = []
    for partition in partitions:
        position = state.get(partition)
        if position == _DONE:
            continue
        results = index_or_model.query(
            partition,
            scan_index_forward=not newest_first,
            limit=limit,
            page_size=limit,
            last_evaluated_key=position if isinstance(position, dict) else None,
            **query_kwargs,
        )
        read.append((partition, list(results), results.last_evaluated_key is None))
    # Stable: items with the same sort value keep their partition's order, so what is
    # taken from each partition is always a prefix of what it returned.
    merged = sorted(
        (
            (getattr(item, sort_attribute) or 0, partition, n)
            for partition, items, _ in read
            for n, item in enumerate(items)
        ),
        key=lambda entry: entry[0],
        reverse=newest_first,
    )[:limit]
    taken: dict[str, int] = {}
    for _, partition, n in merged:
        taken[partition] = max(taken.get(partition, 0), n + 1)
    items_by_partition = {partition: items for partition, items, _ in read}
    page_items = [items_by_partition[partition][n] for _, partition, n in merged]
    next_state = {p: _DONE for p in partitions if state.get(p) == _DONE}
    for partition, items, exhausted in read:
        count = taken.get(partition, 0)
        if count == len(items) and exhausted:
            next_state[partition] = _DONE
        elif count:
            next_state[partition] = _start_key(index_or_model, items[count - 1])
        elif partition in state:
            next_state[partition] = state[partition]
    more = any(next_state.get(p) != _DONE for p in partitions)
    return Page(
        items=page_items, next_cursor=encode_cursor(next_state, scope=scope) if more else None
    )
