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


def decode_cursor(cursor: str | None, *, scope: str = "") -> dict | None:
    if not cursor or len(cursor) > 2000:
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
