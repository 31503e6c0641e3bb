"""The AWS requests (DynamoDB and S3) one page view makes, counted in-process.

Like `videoplatform.testing.requests.count_dynamodb_requests`, but for every service:
each API call any botocore client makes (PynamoDB's, boto3's, django-storages') is one
request. Presigning a URL is not a call and is not counted.
"""

from __future__ import annotations

import threading
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field

from videoplatform.testing.requests import recording_aws_calls


@dataclass
class AwsCalls:
    """(service, operation) of each request, in order."""

    calls: list[tuple[str, str]] = field(default_factory=list)

    def of(self, service: str) -> list[str]:
        return [operation for name, operation in self.calls if name == service]

    @property
    def total(self) -> int:
        return len(self.calls)

    def describe(self) -> str:
        """`3 (dynamodb: GetItem x2, Query; s3: GetObject)`."""
        if not self.calls:
            return "0"
        parts = []
        for service in sorted({name for name, _ in self.calls}):
            counted = Counter(self.of(service))
            names = ", ".join(f"{op} x{n}" if n > 1 else op for op, n in sorted(counted.items()))
            parts.append(f"{service}: {names}")
        return f"{self.total} ({'; '.join(parts)})"

    def as_dict(self) -> dict[str, int]:
        return dict(Counter(name for name, _ in self.calls))


@contextmanager
def count_aws_requests():
    """Yields an AwsCalls that collects every botocore API call this thread makes while
    the block runs (a page view through the test client runs in the caller's thread; a
    live server's other threads serving someone else are not this page)."""
    counted = AwsCalls()
    caller = threading.get_ident()

    def record(client, operation_name):
        if threading.get_ident() == caller:
            counted.calls.append((client.meta.service_model.service_name, operation_name))

    with recording_aws_calls(record):
        yield counted


def page_calls(client, path: str) -> AwsCalls:
    """The requests one GET of ``path`` makes once warm: a first GET loads templates and
    opens connections (and fills whatever the app keeps between requests), then one is
    counted. Anything but a 200 is an error: a redirect to the log-in page costs less."""
    first = client.get(path)
    if first.status_code != 200:
        raise AssertionError(f"GET {path}: {first.status_code}")
    with count_aws_requests() as calls:
        response = client.get(path)
    if response.status_code != 200:
        raise AssertionError(f"GET {path}: {response.status_code}")
    return calls
