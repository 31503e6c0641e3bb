"""/healthz and the 503 page, with DynamoDB and S3 really unreachable for a while.

The app is pointed at a small TCP relay in front of the real server. Stopping the relay
closes its port (connections are refused, as when the server is down); starting it again
on the same port brings the dependency back without touching the app's clients.
"""

import contextlib
import socket
import threading

import boto3
import pytest
from django.conf import settings

from channels_app.models import User
from videoplatform import aws
from videoplatform.dynamodb import registered_models
from videoplatform.testing.servers import stack_server


class TcpRelay:
    """Forwards 127.0.0.1:<port> to a target port until stopped; restartable on that port."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.port: int | None = None
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port or 0))
        listener.listen(32)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        """Close the port and every relayed connection (pooled keep-alives die too)."""
        listener, self._listener = self._listener, None
        if listener is not None:
            # shutdown() wakes the accept() blocked in the relay thread; close() alone
            # would leave the port listening until that call returns.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                downstream, _ = listener.accept()
            except OSError:
                return  # listener closed
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                downstream.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets.update({downstream, upstream})
            threading.Thread(target=self._pipe, args=(downstream, upstream), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, downstream), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


def _relay_for(server_name: str):
    relay = TcpRelay(stack_server(server_name).port)
    relay.start()
    return relay


def _client_like(service: str, endpoint_url: str):
    """A boto3 client built with the app's own settings, but for another endpoint."""
    config = aws._s3_config() if service == "s3" else aws._config()
    return boto3.client(
        service,
        region_name=settings.AWS_REGION,
        endpoint_url=endpoint_url,
        config=config,
        **aws._credentials(),
    )


@pytest.fixture
def dynamodb_relay(monkeypatch):
    """Every model (sessions and users included) and the health check's DynamoDB client
    reach DynamoDB through a relay."""
    relay = _relay_for("dynamodb")
    client = _client_like("dynamodb", relay.url)
    for model in registered_models():
        monkeypatch.setattr(model.Meta, "host", relay.url)
        monkeypatch.setattr(model, "_connection", None)
    monkeypatch.setattr("videoplatform.views.dynamodb_client", lambda: client)
    yield relay
    relay.stop()
    # Undo now, so the next test never sees a connection to the relay.
    monkeypatch.undo()
    for model in registered_models():
        model._connection = None


@pytest.fixture
def s3_relay(monkeypatch):
    """The health check's S3 client goes through a relay."""
    relay = _relay_for("seaweedfs")
    client = _client_like("s3", relay.url)
    monkeypatch.setattr("videoplatform.views.s3_client", lambda: client)
    yield relay
    relay.stop()


class TestHealthz:
    def test_healthy(self, client):
        """/healthz answers 200 JSON saying DynamoDB and S3 are ok, and is never cached."""
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"status": "ok", "dynamodb": "ok", "s3": "ok"}
        assert "no-cache" in response.get("Cache-Control", "")

    def test_post_not_allowed(self, client):
        """/healthz accepts GET only."""
        assert client.post("/healthz").status_code == 405

    def test_dynamodb_down_then_back(self, client, dynamodb_relay):
        """With DynamoDB's port closed /healthz answers 503 naming it; reopening the port
        makes the same client healthy again."""
        assert client.get("/healthz").status_code == 200
        dynamodb_relay.stop()
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "dynamodb": "unavailable", "s3": "ok"}
        dynamodb_relay.start()
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json()["dynamodb"] == "ok"

    def test_s3_down_then_back(self, client, s3_relay):
        """With S3's port closed /healthz answers 503 naming it; reopening the port recovers."""
        assert client.get("/healthz").status_code == 200
        s3_relay.stop()
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "dynamodb": "ok", "s3": "unavailable"}
        s3_relay.start()
        assert client.get("/healthz").status_code == 200


class TestDependencyDownPage:
    def test_page_reading_the_user_answers_503_then_recovers(
        self, signed_in_client, dynamodb_relay
    ):
        """With DynamoDB's port closed, signed-in pages (session and user reads) and the home
        page get the 503 page; the same process serves them again once the port is back."""
        assert signed_in_client.get("/studio/").status_code == 200

        dynamodb_relay.stop()
        for path in ("/studio/", "/"):
            response = signed_in_client.get(path)
            assert response.status_code == 503, path
            assert b"Temporarily unavailable" in response.content
            assert b"Traceback" not in response.content
        assert signed_in_client.get("/healthz").status_code == 503

        dynamodb_relay.start()
        response = signed_in_client.get("/studio/")
        assert response.status_code == 200
        assert b"Temporarily unavailable" not in response.content
        assert signed_in_client.get("/").status_code == 200
        assert signed_in_client.get("/healthz").status_code == 200

    def test_closed_port_without_relay(self, signed_in_client, monkeypatch):
        """Pointing the user model at a port nobody listens on gives the 503 page, and
        restoring the configuration serves the page again (no restart)."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            closed_port = probe.getsockname()[1]
        closed = f"http://127.0.0.1:{closed_port}"
        with monkeypatch.context() as patch:
            patch.setattr(User.Meta, "host", closed)
            patch.setattr(User, "_connection", None)
            response = signed_in_client.get("/studio/")
            assert response.status_code == 503
            assert b"Temporarily unavailable" in response.content
        User._connection = None
        assert signed_in_client.get("/studio/").status_code == 200
