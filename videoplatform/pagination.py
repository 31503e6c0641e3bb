"""Cursor pagination over DynamoDB queries.

A cursor is DynamoDB's LastEvaluatedKey, signed so that a client cannot hand us an
arbitrary start key; a bad or tampered cursor simply starts from the beginning.
"""

from dataclasses import dataclass, field

from django.core import signing

_SALT = "videoplatform.cursor"


def encode_cursor(key: dict | None) -> str | None:
    if not key:
        return None
    return signing.dumps(key, salt=_SALT, compress=True)


def decode_cursor(cursor: str | None) -> dict | None:
    if not cursor or len(cursor) > 2000:
        return None
    try:
        value = signing.loads(cursor, salt=_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, dict) else None


@dataclass
class Page:
    items: list = field(default_factory=list)
    next_cursor: str | None = None


def query_page(index_or_model, hash_key, *, limit: int, cursor: str | None, newest_first: bool = True, **query_kwargs) -> Page:
    """One page of a query: at most ``limit`` items, one DynamoDB request per page."""
    results = index_or_model.query(
        hash_key,
        scan_index_forward=not newest_first,
        limit=limit,
        page_size=limit,
        last_evaluated_key=decode_cursor(cursor),
        **query_kwargs,
    )
    items = list(results)
    return Page(items=items, next_cursor=encode_cursor(results.last_evaluated_key))
