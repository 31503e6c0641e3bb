"""PynamoDB plumbing shared by every app: the base ``Meta``, the table registry,
time-sortable ids and the helpers services use for conditional writes."""

import os
import secrets
import time
from collections.abc import Iterable
from functools import cache

from django.conf import settings
from pynamodb.attributes import NumberAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

_REGISTRY: list[type[Model]] = []


def table_name(suffix: str) -> str:
    return f"{settings.DYNAMODB_TABLE_PREFIX}{suffix}"


def base_meta(suffix: str, *, ttl_attribute: str | None = None) -> type:
    """Build a model ``Meta`` whose endpoint, region and name come from settings.

    ``ttl_attribute`` names the attribute DynamoDB expires items by; ``ensure_tables``
    turns TTL on for it. Reads still check expiry themselves (TTL deletion is lazy).
    """

    name = table_name(suffix)

    class Meta:
        table_name = name
        region = settings.AWS_REGION
        host = settings.DYNAMODB_ENDPOINT_URL or None
        aws_access_key_id = settings.AWS_ACCESS_KEY_ID or None
        aws_secret_access_key = settings.AWS_SECRET_ACCESS_KEY or None
        connect_timeout_seconds = settings.AWS_CONNECT_TIMEOUT_S
        read_timeout_seconds = settings.AWS_READ_TIMEOUT_S
        max_retry_attempts = settings.AWS_MAX_ATTEMPTS
        billing_mode = "PAY_PER_REQUEST"

    Meta.ttl_attribute = ttl_attribute
    return Meta


def register(model: type[Model]) -> type[Model]:
    """Class decorator: add a model to the registry ``ensure_tables`` walks."""
    _REGISTRY.append(model)
    return model


def registered_models() -> list[type[Model]]:
    return list(_REGISTRY)


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_ulid(at_ms: int | None = None) -> str:
    """A 26-character ULID: 48 bits of milliseconds then 80 random bits.

    Lexicographic order is creation order, which sort keys rely on.
    """
    ms = int(time.time() * 1000) if at_ms is None else at_ms
    value = (ms << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_id() -> str:
    """An opaque, URL-safe identifier for things addressed by id (videos, channels)."""
    return secrets.token_urlsafe(9).replace("-", "a").replace("_", "b")


def now_s() -> int:
    return int(time.time())


class ExpiresAtAttribute(NumberAttribute):
    """Unix seconds; the table's TTL attribute."""


def is_expired(expires_at: float | None, *, now: float | None = None) -> bool:
    if expires_at is None:
        return False
    return expires_at <= (time.time() if now is None else now)


# Ids reach lookups from URLs, forms and cookies. DynamoDB answers an empty key value, or
# one over 1024 bytes (range) / 2048 bytes (hash), with a ValidationException; no item can
# have such a key, so a lookup treats it as missing instead of failing the request.
KEY_MAX_CHARS = 255  # at most 4 bytes a character: under 1024 bytes


def key_usable(*values: str | None) -> bool:
    """True when every value can be a DynamoDB key (non-empty, within the size limit)."""
    return all(value and len(value) <= KEY_MAX_CHARS for value in values)


def item_or_none(
    model: type[Model], hash_key: str, range_key: str | None = None, *, consistent: bool = False
):
    """GetItem, or None when the item is missing or the key could never name one."""
    # A partition key may be twice as long as a sort key (2048 against 1024 bytes).
    if not hash_key or len(hash_key) > 2 * KEY_MAX_CHARS:
        return None
    if range_key is not None and not key_usable(range_key):
        return None
    try:
        return model.get(hash_key, range_key, consistent_read=consistent)
    except model.DoesNotExist:
        return None


def condition_failed(error: PynamoDBException) -> bool:
    """True when a write failed only because its condition did not hold."""
    cause = getattr(error, "cause_response_code", None)
    if cause in {"ConditionalCheckFailedException"}:
        return True
    if cause == "TransactionCanceledException":
        reasons: Iterable = getattr(error, "cancellation_reasons", None) or []
        return any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons)
    return False


@cache
def connection() -> Connection:
    """The low-level connection transactions run on (models keep their own)."""
    return Connection(
        region=settings.AWS_REGION,
        host=settings.DYNAMODB_ENDPOINT_URL or None,
        connect_timeout_seconds=settings.AWS_CONNECT_TIMEOUT_S,
        read_timeout_seconds=settings.AWS_READ_TIMEOUT_S,
        max_retry_attempts=settings.AWS_MAX_ATTEMPTS,
        aws_access_key_id=settings.AWS_ACCESS_KEY_ID or None,
        aws_secret_access_key=settings.AWS_SECRET_ACCESS_KEY or None,
    )


def transaction(*, token: str | None = None) -> TransactWrite:
    """A TransactWrite; ``token`` makes a retried request idempotent for 10 minutes."""
    return TransactWrite(connection=connection(), client_request_token=token)
