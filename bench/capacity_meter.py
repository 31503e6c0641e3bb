"""Measuring DynamoDB write capacity and where it lands, for `python -m bench scale`.

``measure_writes()`` patches botocore so that every DynamoDB write made while it runs
asks for ``ReturnConsumedCapacity="INDEXES"``, and records, per request and table, the
write capacity units of the base table and of each index, and the partition keys the
item writes (and their index entries) landed on.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from botocore.client import BaseClient
from botocore.exceptions import ClientError

WRITE_OPERATIONS = frozenset(
    {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}
)
# Request -> (put|update|delete, the parameter holding the Item or Key): the one-item
# writes, the entries of a TransactWriteItems, the requests of a BatchWriteItem.
SINGLE_WRITES = {
    "PutItem": ("put", "Item"),
    "UpdateItem": ("update", "Key"),
    "DeleteItem": ("delete", "Key"),
}
TRANSACT_ENTRIES = {
    "Put": ("put", "Item"),
    "Update": ("update", "Key"),
    "Delete": ("delete", "Key"),
}
BATCH_REQUESTS = {"PutRequest": ("put", "Item"), "DeleteRequest": ("delete", "Key")}


@dataclass
class TableWrite:
    """What one write request consumed in one table: the base table's units and each
    index's, and the partition keys it landed on (base table, and each index that
    consumed capacity)."""

    operation: str
    table: str  # without the settings' table prefix
    keys: list[str]  # base-table partition key of each item this request wrote here
    units: float
    index_units: dict[str, float] = field(default_factory=dict)
    index_keys: dict[str, list[str]] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return self.units + sum(self.index_units.values())

    @property
    def at_aws_price(self) -> float:
        """DynamoDB Local charges a write inside a transaction 4x the item's units; AWS
        documents 2x (prepare and commit). This is the total at AWS's price."""
        return self.total / 2 if self.operation == "TransactWriteItems" else self.total


def is_rate_limit_counter(write: TableWrite) -> bool:
    """A per-user rate-limit counter (``like#<user>#<window>``…), not a view marker."""
    return write.table.endswith("Counters") and not all(k.startswith("view#") for k in write.keys)


@dataclass
class CapacityMeter:
    prefix: str
    record_keys: bool = True
    writes: list[TableWrite] = field(default_factory=list)
    failures: Counter = field(default_factory=Counter)
    _schemas: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def short(self, table: str) -> str:
        return table[len(self.prefix) :] if table.startswith(self.prefix) else table

    def kept(self, exclude: Callable[[TableWrite], bool] | None = None) -> list[TableWrite]:
        with self._lock:
            writes = list(self.writes)
        return [w for w in writes if not (exclude and exclude(w))]

    def units(self, exclude=None, *, aws_price: bool = False) -> float:
        return sum(w.at_aws_price if aws_price else w.total for w in self.kept(exclude))

    def by_target(self, exclude=None) -> dict[str, float]:
        """WCU per table and per ``table/index``."""
        totals: Counter = Counter()
        for w in self.kept(exclude):
            totals[w.table] += w.units
            for index, units in w.index_units.items():
                if units:
                    totals[f"{w.table}/{index}"] += units
        return dict(totals)

    def landings(self, exclude=None) -> Counter:
        """How many item writes landed on each (table, index or "", partition key)."""
        landed: Counter = Counter()
        for w in self.kept(exclude):
            for key in w.keys:
                landed[(w.table, "", key)] += 1
            for index, keys in w.index_keys.items():
                for key in keys:
                    landed[(w.table, index, key)] += 1
        return landed

    # -- called from the patched botocore method ---------------------------------------

    def schema(self, call, table: str) -> tuple[str, dict[str, str]]:
        """(base hash key attribute, {index name: index hash key attribute})."""
        if table not in self._schemas:
            described = call("DescribeTable", {"TableName": table})["Table"]
            indexes = {
                index["IndexName"]: _hash_key(index["KeySchema"])
                for index in described.get("GlobalSecondaryIndexes", [])
            }
            self._schemas[table] = (_hash_key(described["KeySchema"]), indexes)
        return self._schemas[table]


def _hash_key(key_schema: list[dict]) -> str:
    return next(k["AttributeName"] for k in key_schema if k["KeyType"] == "HASH")


def _value(attribute: dict) -> str:
    return str(next(iter(attribute.values())))


def _first_of(entry: dict, kinds: dict[str, tuple[str, str]]) -> tuple[dict, str, dict] | None:
    """(the request inside ``entry``, put|update|delete, its Item or Key) for the first
    of ``kinds`` that ``entry`` holds."""
    for wrapper, (kind, part) in kinds.items():
        if wrapper in entry:
            return entry[wrapper], kind, entry[wrapper][part]
    return None


def _items_of(operation: str, params: dict) -> list[tuple[str, str, dict]]:
    """(table, put|update|delete, Item or Key) for each item a write request writes."""
    if operation in SINGLE_WRITES:
        kind, part = SINGLE_WRITES[operation]
        return [(params["TableName"], kind, params[part])]
    items = []
    if operation == "TransactWriteItems":
        for entry in params.get("TransactItems", []):
            if found := _first_of(entry, TRANSACT_ENTRIES):
                request, kind, item = found
                items.append((request["TableName"], kind, item))
    elif operation == "BatchWriteItem":
        for table, requests in params.get("RequestItems", {}).items():
            for entry in requests:
                if found := _first_of(entry, BATCH_REQUESTS):
                    _, kind, item = found
                    items.append((table, kind, item))
    return items


def _units(part: dict | None) -> float:
    if not part:
        return 0.0
    return float(part.get("WriteCapacityUnits") or part.get("CapacityUnits") or 0.0)


@contextmanager
def measure_writes(*, prefix: str, record_keys: bool = True) -> Iterator[CapacityMeter]:
    """Yields a CapacityMeter collecting, for every DynamoDB write any botocore client
    makes while the block runs (PynamoDB's and boto3's alike), the write capacity units
    per table and per index, and the partition keys each write landed on.

    The GetItem and DescribeTable calls that find an index's key value (the item after
    an update, before a delete) go straight to botocore and are not counted anywhere.
    """
    meter = CapacityMeter(prefix=prefix, record_keys=record_keys)
    original = BaseClient._make_api_call

    def measuring(client, operation_name, api_params):
        if (
            operation_name not in WRITE_OPERATIONS
            or client.meta.service_model.service_name != "dynamodb"
        ):
            return original(client, operation_name, api_params)

        def call(operation, params):
            return original(client, operation, params)

        def read(table: str, key: dict) -> dict | None:
            got = call("GetItem", {"TableName": table, "Key": key, "ConsistentRead": True})
            return got.get("Item")

        params = dict(api_params, ReturnConsumedCapacity="INDEXES")
        items = _items_of(operation_name, params)
        full: list[dict | None] = [None] * len(items)
        for n, (table, kind, item) in enumerate(items):
            if kind == "put":
                full[n] = item
            elif kind == "delete" and record_keys and meter.schema(call, table)[1]:
                # The index keys of an item about to go: read it first.
                full[n] = read(table, item)
        try:
            response = original(client, operation_name, params)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "ClientError")
            with meter._lock:
                meter.failures[f"{operation_name}:{code}"] += 1
            raise
        consumed = response.get("ConsumedCapacity") or []
        if isinstance(consumed, dict):
            consumed = [consumed]
        writes = []
        for part in consumed:
            table = part["TableName"]
            index_units = {
                name: _units(units)
                for name, units in (part.get("GlobalSecondaryIndexes") or {}).items()
            }
            if "Table" in part:
                base_units = _units(part["Table"])
            else:
                base_units = _units(part) - sum(index_units.values())
            write = TableWrite(operation_name, meter.short(table), [], base_units, index_units)
            hash_key, index_hash = meter.schema(call, table)
            charged = [name for name, units in index_units.items() if units > 0]
            for n, (item_table, kind, item) in enumerate(items):
                if item_table != table:
                    continue
                write.keys.append(_value(item[hash_key]))
                if not (record_keys and charged):
                    continue
                if kind == "update" and full[n] is None:
                    # The index keys of an updated item: read it after the write.
                    full[n] = read(table, item)
                for name in charged:
                    attribute = index_hash.get(name)
                    if full[n] and attribute in full[n]:
                        write.index_keys.setdefault(name, []).append(_value(full[n][attribute]))
            writes.append(write)
        with meter._lock:
            meter.writes.extend(writes)
        return response

    BaseClient._make_api_call = measuring
    try:
        yield meter
    finally:
        BaseClient._make_api_call = original
