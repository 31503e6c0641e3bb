"""Count the AWS requests a block of code makes (tests and benchmarks)."""

import threading
from collections.abc import Callable
from contextlib import contextmanager

from botocore.client import BaseClient

_lock = threading.Lock()


@contextmanager
def recording_aws_calls(record: Callable[[BaseClient, str], None]):
    """Calls ``record(client, operation_name)`` for every API call any botocore client
    (PynamoDB's, boto3's, django-storages') makes while the block runs."""
    original = BaseClient._make_api_call

    def recording(self, operation_name, api_params):
        with _lock:
            record(self, operation_name)
        return original(self, operation_name, api_params)

    BaseClient._make_api_call = recording
    try:
        yield
    finally:
        BaseClient._make_api_call = original


@contextmanager
def count_dynamodb_requests():
    """Yields a list that collects the operation name of every DynamoDB API call made
    by any botocore client while the block runs."""
    calls: list[str] = []

    def record(client, operation_name):
        if client.meta.service_model.service_name == "dynamodb":
            calls.append(operation_name)

    with recording_aws_calls(record):
        yield calls


@contextmanager
def dynamodb_writes():
    """Yields a list that collects ``(operation, table name)`` for every DynamoDB write
    (PutItem, UpdateItem, DeleteItem) made while the block runs."""
    writes: list[tuple[str, str]] = []
    original = BaseClient._make_api_call

    def recording(self, operation_name, api_params):
        if self.meta.service_model.service_name == "dynamodb" and operation_name in {
            "PutItem",
            "UpdateItem",
            "DeleteItem",
        }:
            with _lock:
                writes.append((operation_name, api_params.get("TableName", "")))
        return original(self, operation_name, api_params)

    BaseClient._make_api_call = recording
    try:
        yield writes
    finally:
        BaseClient._make_api_call = original
