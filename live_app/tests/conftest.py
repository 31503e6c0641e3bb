"""Fixtures the live tests share: a live session on the creator's channel (the creator
fixtures are the project's) and a stubbed IVS client."""

import pytest
from botocore.stub import Stubber

from live_app import services


@pytest.fixture
def session(creator, creator_channel):
    return services.live_session_create(
        actor=creator, channel_id=creator_channel.channel_id, title="Morning show"
    )


@pytest.fixture
def stubbed_ivs():
    """An IVS client whose calls botocore's Stubber answers, checking each request."""
    from live_app.tests.test_ivs_backend import ivs_client

    client = ivs_client()
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()
