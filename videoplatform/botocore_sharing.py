"""One botocore session for every PynamoDB connection in a process.

PynamoDB gives each model its own ``Connection``, and each builds its own botocore
session: every one of the project's models loaded and kept the DynamoDB service
description, endpoint data and credential chain again (about 10 MB and 0.2-0.5 s on a
worker's first requests each). Connections still make their own client (their host and
timeouts come from their model's Meta, which the tests' relay changes), but from the one
shared session, whose loader caches all of that once. botocore sessions are not safe
for concurrent client creation, so creating a client takes a lock; a client already made
is returned without it.
"""

import threading

import botocore.session
from django.conf import settings
from pynamodb.connection.base import Connection

_lock = threading.RLock()
_session: botocore.session.Session | None = None
_original_client = Connection.client
_original_session = Connection.session


def shared_session() -> botocore.session.Session:
    global _session
    if _session is None:
        with _lock:
            if _session is None:
                session = botocore.session.get_session()
                if settings.AWS_ACCESS_KEY_ID:
                    session.set_credentials(
                        settings.AWS_ACCESS_KEY_ID, settings.AWS_SECRET_ACCESS_KEY
                    )
                _session = session
    return _session


def _session_property(self) -> botocore.session.Session:
    return shared_session()


def _client_property(self):
    client = self._client
    if client is not None and client._request_signer._credentials:
        return client
    with _lock:
        return _original_client.fget(self)


def share_one_session() -> None:
    """Make every PynamoDB Connection use the shared session (idempotent)."""
    Connection.session = property(_session_property)
    Connection.client = property(_client_property)
