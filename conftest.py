"""Fixtures shared by every app's tests: the real local servers, users, channels."""

import io
import secrets
import threading

import pytest
from django.conf import settings
from django.core.management import call_command
from pynamodb.connection import Connection

from videoplatform.aws import s3_client
from videoplatform.dynamodb import registered_models
from videoplatform.local_servers import wait_for_s3
from videoplatform.testing.relay import client_like, relay_for


@pytest.fixture(scope="session", autouse=True)
def aws_stack(django_test_environment):
    """Tables and buckets exist once per session (the servers start in the -p plugin)."""
    wait_for_s3(s3_client())
    call_command("ensure_tables", stdout=io.StringIO())
    call_command("ensure_buckets", stdout=io.StringIO())


def unique(prefix: str = "u") -> str:
    return f"{prefix}{secrets.token_hex(4)}"


STRONG_PASSWORD = "correct-horse-battery-staple"


def make_user(**overrides):
    from channels_app.accounts import user_sign_up

    values = {
        "email": f"{unique()}@example.com",
        "display_name": "Test User",
        "password": STRONG_PASSWORD,
    }
    values.update(overrides)
    return user_sign_up(**values)


def make_channel(owner=None, **overrides):
    from channels_app.services import channel_create

    values = {"name": "Test Channel", "handle": unique("ch"), "description": ""}
    values.update(overrides)
    return channel_create(owner=owner or make_user(), **values)


@pytest.fixture
def user():
    return make_user()


@pytest.fixture
def other_user():
    return make_user()


@pytest.fixture
def channel(user):
    return make_channel(owner=user)


@pytest.fixture
def creator():
    return make_user()


@pytest.fixture
def creator_channel(creator):
    return make_channel(owner=creator)


@pytest.fixture
def signed_in_client(client, user):
    """A Django test client signed in as ``user``."""
    response = client.post("/accounts/login/", {"email": user.email, "password": STRONG_PASSWORD})
    assert response.status_code == 302, response.content[:500]
    client.user = user
    return client


def sign_in(client, user):
    response = client.post("/accounts/login/", {"email": user.email, "password": STRONG_PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture(scope="session")
def live_server_url():
    """The app served over real HTTP in a thread (for the browser tests)."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    server.set_app(StaticFilesHandler(get_wsgi_application()))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address
    yield f"http://{host}:{port}"
    server.shutdown()
    server.server_close()


# --- Dependencies that go away: the app's traffic through a relay that can be stopped ---


@pytest.fixture
def dynamodb_relay(monkeypatch):
    """All of the app's DynamoDB traffic goes through a relay: every model, the connection
    transactions run on, and the boto3 clients (health check, batch reads)."""
    relay = relay_for("dynamodb")
    for model in registered_models():
        monkeypatch.setattr(model.Meta, "host", relay.url)
        monkeypatch.setattr(model, "_connection", None)
    connection = Connection(
        region=settings.AWS_REGION,
        host=relay.url,
        connect_timeout_seconds=settings.AWS_CONNECT_TIMEOUT_S,
        read_timeout_seconds=settings.AWS_READ_TIMEOUT_S,
        max_retry_attempts=settings.AWS_MAX_ATTEMPTS,
        aws_access_key_id=settings.AWS_ACCESS_KEY_ID or None,
        aws_secret_access_key=settings.AWS_SECRET_ACCESS_KEY or None,
    )
    monkeypatch.setattr("videoplatform.dynamodb.connection", lambda: connection)
    client = client_like("dynamodb", relay.url)
    monkeypatch.setattr("videoplatform.views.dynamodb_client", lambda: client)
    monkeypatch.setattr("social_app.selectors.dynamodb_client", lambda: client)
    monkeypatch.setattr("videoplatform.tallies.dynamodb_client", lambda: client)
    monkeypatch.setattr("videos_app.selectors.dynamodb_client", lambda: client)
    monkeypatch.setattr("social_app.notifications.dynamodb_client", lambda: client)
    monkeypatch.setattr("channels_app.selectors.dynamodb_client", lambda: client)
    yield relay
    relay.stop()
    # Undo now, so the next test never reaches DynamoDB through a dead relay.
    monkeypatch.undo()
    for model in registered_models():
        model._connection = None


@pytest.fixture
def s3_relay(monkeypatch):
    """All of the app's S3 traffic goes through a relay, the browser's presigned POST too."""
    relay = relay_for("seaweedfs")
    client = client_like("s3", relay.url)
    for name in (
        "videoplatform.storage.s3_client",
        "videoplatform.storage.s3_presign_client",
        "videoplatform.views.s3_client",
        "videos_app.playback.s3_client",
        "videos_app.worker.s3_client",
    ):
        monkeypatch.setattr(name, lambda: client)
    yield relay
    relay.stop()


@pytest.fixture
def renders():
    """Names of the templates rendered while the test runs, in order."""
    from django.test.signals import template_rendered

    seen = []

    def record(sender, template, context, **kwargs):
        seen.append(template.name)

    template_rendered.connect(record)
    yield seen
    template_rendered.disconnect(record)
