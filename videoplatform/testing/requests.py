"""Count the DynamoDB requests a block of code makes (tests and benchmarks)."""

import threading
from contextlib import contextmanager

from botocore.client import BaseClient

_lock = threading.Lock()


@contextmanager
def count_dynamodb_requests():
    """Yields a list that collects the operation name of every DynamoDB API call made
    by any botocore client (PynamoDB's and boto3's alike) while the block runs."""
    calls: list[str] = []
    original = BaseClient._make_api_call

    def counting(self, operation_name, api_params):
        if self.meta.service_model.service_name == "dynamodb":
            with _lock:
                calls.append(operation_name)
        return original(self, operation_name, api_params)

    BaseClient._make_api_call = counting
    try:
        yield calls
    finally:
        BaseClient._make_api_call = original
