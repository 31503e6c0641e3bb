"""A web process prepares itself before its first request and freezes what it built."""

import gc

from botocore.client import BaseClient

from videoplatform import process_start
from videoplatform.dynamodb import registered_models


def test_the_process_is_ready_and_frozen_before_its_first_request(monkeypatch):
    frozen = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    for model in registered_models():  # as in a new process: no connection yet
        monkeypatch.setattr(model, "_connection", None)
    process_start.ready_for_requests()
    assert frozen == [True]
    for model in registered_models():
        assert isinstance(model._get_connection().connection._client, BaseClient)
