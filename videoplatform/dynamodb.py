"""PynamoDB plumbing shared by every app: the base ``Meta``, the table registry,
time-sortable ids and the helpers services use for conditional writes."""

import os
import random
import secrets
import time
import zlib
from collections.abc import Iterable
from functools import cache

from django.conf import settings
from pynamodb.attributes import NumberAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from videoplatform.aws import dynamodb_client
from videoplatform.botocore_sharing import share_one_session
from videoplatform.errors import Busy

share_one_session()

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


def new_ulid(at_ms: int | None = None, *, entropy: bytes | None = None) -> str:
    """A 26-character ULID: 48 bits of milliseconds then 80 random bits.

    Lexicographic order is creation order, which sort keys rely on. ``entropy`` (10
    bytes) replaces the random bits when the same id must come out every time, so that
    writing an item again overwrites it instead of adding a copy.
    """
    ms = int(time.time() * 1000) if at_ms is None else at_ms
    tail = os.urandom(10) if entropy is None else entropy[:10].rjust(10, b"\0")
    value = (ms << 80) | int.from_bytes(tail, "big")
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


# --- Spreading writes ----------------------------------------------------------------


def shard_of(value: str, shards: int) -> int:
    """A stable shard number in ``range(shards)`` for ``value`` (the same in every process)."""
    return zlib.crc32(value.encode()) % shards


def sharded_key(base: str, value: str, shards: int) -> str:
    """``<base>#<n>``: the partition a site-wide listing writes ``value`` under."""
    return f"{base}#{shard_of(value, shards)}"


def all_shards(base: str, shards: int) -> list[str]:
    """Every partition of a sharded listing, which a reader merges."""
    return [f"{base}#{n}" for n in range(shards)]


# DynamoDB's answers to a hot key: a write throttled, or a transaction cancelled because
# another one held the same item. Both pass if tried again a little later.
CONTENDED_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TransactionConflictException",
        "TransactionInProgressException",
    }
)


def contended(error: Exception) -> bool:
    """True when a write failed because its item was hot, not because it was wrong."""
    cause = getattr(error, "cause_response_code", None)
    if cause in CONTENDED_CODES:
        return True
    if cause == "TransactionCanceledException":
        reasons: Iterable = getattr(error, "cancellation_reasons", None) or []
        codes = {r.code for r in reasons if r is not None}
        return bool(codes) and codes <= {"TransactionConflict", "ThrottlingError", "None"}
    response = getattr(error, "response", None)  # a plain botocore ClientError
    if isinstance(response, dict):
        return response.get("Error", {}).get("Code") in CONTENDED_CODES
    return False


def retry_contended(write, *, attempts: int = 6, base_s: float = 0.02, cap_s: float = 1.0):
    """Run ``write()``; while it fails only because its item is hot, wait a jittered,
    growing time (full jitter) and try again. After ``attempts`` it raises Busy, which
    people see as "busy, try again" (503), never as a server error."""
    for attempt in range(attempts):
        try:
            return write()
        except Exception as error:
            if not contended(error):
                raise
            if attempt == attempts - 1:
                raise Busy("This is very popular right now. Please try again.") from error
            time.sleep(random.uniform(0, min(cap_s, base_s * 2**attempt)))
    raise AssertionError("unreachable")


def write_once(write) -> bool:
    """Run a conditional write, retried while its item is hot. False when its condition
    did not hold: what it would have made was already there."""
    try:
        retry_contended(write)
    except PynamoDBException as error:
        if condition_failed(error):
            return False
        raise
    return True


# --- Reading many items ---------------------------------------------------------------

BATCH_GET_KEYS = 100  # DynamoDB's limit for one BatchGetItem


def batch_get_raw(keys_by_table: dict[str, list[dict]], *, consistent: bool = False) -> dict:
    """Raw items by table for raw keys by table: one BatchGetItem per 100 keys (the
    tables mixed in each), unprocessed keys asked again. Missing items are left out."""
    pairs = [(table, key) for table, keys in keys_by_table.items() for key in keys]
    found: dict[str, list[dict]] = {table: [] for table in keys_by_table}
    client = dynamodb_client() if pairs else None
    for start in range(0, len(pairs), BATCH_GET_KEYS):
        request: dict = {}
        for table, key in pairs[start : start + BATCH_GET_KEYS]:
            request.setdefault(table, {"Keys": [], "ConsistentRead": consistent})["Keys"].append(
                key
            )
        while request:
            response = client.batch_get_item(RequestItems=request)
            for table, items in response.get("Responses", {}).items():
                found[table] += items
            request = response.get("UnprocessedKeys") or {}
    return found
