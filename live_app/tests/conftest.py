"""Fixtures the live tests share: a creator with a channel and a live session for it,
and a stubbed IVS client."""

import pytest
from botocore.stub import Stubber

from conftest import make_channel, make_user
from live_app import services


@pytest.fixture
def creator():
    return make_user()


@pytest.fixture
def creator_channel(creator):
    return make_channel(owner=creator)


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
