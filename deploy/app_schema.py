"""The app's own description of what it stores, read from the code: the DynamoDB
tables (the PynamoDB models that ``ensure_tables`` creates locally) and the buckets'
lifecycle rules. The stacks are generated from these, so there is one source of truth.

Only Django's settings and app registry are loaded (no database, no server): the
same minimal setup ``manage.py`` does, in local mode so no production variable is
needed to read the models.
"""

import os
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def setup_django() -> None:
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "videoplatform.settings")
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()


@dataclass(frozen=True)
class KeyAttr:
    name: str
    type: str  # "S" | "N" | "B"


@dataclass(frozen=True)
class IndexSpec:
    name: str
    hash_key: KeyAttr
    range_key: KeyAttr | None
    projection: str  # "ALL" | "KEYS_ONLY" | "INCLUDE"
    non_key_attributes: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSpec:
    suffix: str  # the table name without the prefix, e.g. "Videos"
    hash_key: KeyAttr
    range_key: KeyAttr | None
    indexes: tuple[IndexSpec, ...]
    ttl_attribute: str | None


def _keys(key_schema: list[dict], types: dict[str, str]) -> tuple[KeyAttr, KeyAttr | None]:
    by_type = {k["KeyType"]: k["AttributeName"] for k in key_schema}
    hash_name = by_type["HASH"]
    range_name = by_type.get("RANGE")
    return (
        KeyAttr(hash_name, types[hash_name]),
        KeyAttr(range_name, types[range_name]) if range_name else None,
    )


def table_specs() -> list[TableSpec]:
    """Every registered model's table, keys, global indexes and TTL attribute."""
    setup_django()
    from django.conf import settings

    from videoplatform.dynamodb import registered_models

    specs = []
    for model in registered_models():
        schema = model._get_schema()
        if schema.get("local_secondary_indexes"):
            # A local index can only be made with its table; none exists today.
            raise ValueError(f"{model.__name__}: local secondary indexes are not deployed")
        types = {a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]}
        hash_key, range_key = _keys(schema["key_schema"], types)
        indexes = []
        for index in schema.get("global_secondary_indexes", []):
            index_hash, index_range = _keys(index["key_schema"], types)
            projection = index["projection"]
            indexes.append(
                IndexSpec(
                    name=index["index_name"],
                    hash_key=index_hash,
                    range_key=index_range,
                    projection=projection["ProjectionType"],
                    non_key_attributes=tuple(projection.get("NonKeyAttributes", ())),
                )
            )
        # Table names carry the prefix of the process that loaded the models (tests
        # use a unique one); the deploy applies its own.
        name = model.Meta.table_name
        suffix = name.removeprefix(settings.DYNAMODB_TABLE_PREFIX)
        specs.append(
            TableSpec(
                suffix=suffix,
                hash_key=hash_key,
                range_key=range_key,
                indexes=tuple(sorted(indexes, key=lambda i: i.name)),
                ttl_attribute=getattr(model.Meta, "ttl_attribute", None),
            )
        )
    return sorted(specs, key=lambda s: s.suffix)


def raw_bucket_lifecycle_rules() -> list[dict]:
    """The raw bucket's rules as ``ensure_buckets`` sets them (S3 API shape)."""
    setup_django()
    from django.conf import settings

    from videoplatform.storage import bucket_lifecycle_rules

    return bucket_lifecycle_rules().get(settings.S3_RAW_BUCKET, [])


def media_response_headers_policy() -> dict:
    setup_django()
    from videoplatform.media_headers import RESPONSE_HEADERS_POLICY

    return RESPONSE_HEADERS_POLICY


def app_settings(*names: str) -> dict[str, object]:
    setup_django()
    from django.conf import settings

    return {name: getattr(settings, name) for name in names}
