"""Fixtures shared by every app's tests: the real local servers, users, channels."""

import io
import secrets
import threading

import pytest
from django.core.management import call_command

from videoplatform.aws import s3_client
from videoplatform.local_servers import wait_for_s3


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
    from channels_app.services import user_sign_up

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
