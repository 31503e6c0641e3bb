import pytest
from opensearchpy import OpenSearch

from conftest import make_channel, make_user, unique
from social_app.tests.factories import make_ready_video
from videos_app.search.indexer import drain_until_idle
from videos_app.search.loader import get_search_backend
from videos_app.search.opensearch_backend import OpenSearchBackend
from videos_app.search.tests.opensearch_script import ALIAS, Recorded, Script


@pytest.fixture
def engine():
    """The session's search engine with nothing left waiting from earlier tests."""
    backend = get_search_backend()
    drain_until_idle(backend=backend)
    return backend


@pytest.fixture
def index_now(engine):
    """Drain the pending-index queue into the engine (what the search worker does)."""
    return lambda: drain_until_idle(backend=engine)


@pytest.fixture
def script():
    """The answers an OpenSearch test gives, and the requests it received."""
    script = Script()
    yield script
    assert script.answers == [], "scripted answers left unused"


@pytest.fixture
def backend(script):
    """An OpenSearch engine whose requests the test scripts and reads (no network)."""
    client = OpenSearch(
        hosts=[{"host": "search.test", "port": 443}],
        connection_class=Recorded,
        script=script,
        max_retries=1,
    )
    engine = OpenSearchBackend(client=client, alias=ALIAS)
    engine._ensured = True  # the live index exists (test_first_write_* checks ensure)
    return engine


@pytest.fixture
def tag():
    """A word no other test uses, to find this test's items alone."""
    return unique("t")


@pytest.fixture
def published(tag, index_now):
    """(owner, channel "Riverside <tag>", video "Bikes on a sunny day <tag>"), indexed."""
    owner = make_user()
    channel = make_channel(owner=owner, name=f"Riverside {tag}")
    video = make_ready_video(owner=owner, channel=channel, title=f"Bikes on a sunny day {tag}")
    index_now()
    return owner, channel, video
