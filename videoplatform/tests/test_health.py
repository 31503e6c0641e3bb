"""/healthz (liveness), /readyz (readiness) and the 503 page, with DynamoDB and S3 really
unreachable for a while.

The app is pointed at a small TCP relay in front of the real server. Stopping the relay
closes its port (connections are refused, as when the server is down); starting it again
on the same port brings the dependency back without touching the app's clients.
"""

import socket

from channels_app.models import User

# The load balancer's health check: plain HTTP, the task's private address as its Host.
LOAD_BALANCER_CHECK = {"HTTP_HOST": "10.0.3.17:8000"}


class TestLiveness:
    def test_alive(self, client):
        """/healthz answers 200 JSON saying only that the process is up, never cached."""
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"status": "ok"}
        assert "no-cache" in response.get("Cache-Control", "")

    def test_post_not_allowed(self, client):
        """/healthz accepts GET and HEAD only."""
        assert client.head("/healthz").status_code == 200
        assert client.post("/healthz").status_code == 405

    def test_asks_no_dependency(self, client, dynamodb_relay, s3_relay):
        """With DynamoDB's and S3's ports both closed /healthz still answers 200, so the
        load balancer does not replace every task during an outage; /readyz says 503."""
        dynamodb_relay.stop()
        s3_relay.stop()
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 503

    def test_load_balancer_check_passes_the_production_guards(self, client, settings):
        """With the production host list and HTTPS redirect, the load balancer's check
        (plain HTTP, an IP as Host) gets 200, while a page asked the same way is still
        refused (400) and /readyz still redirected to HTTPS: only /healthz skips them."""
        settings.ALLOWED_HOSTS = ["tube.example.com"]
        settings.SECURE_SSL_REDIRECT = True
        settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
        assert client.get("/healthz", **LOAD_BALANCER_CHECK).status_code == 200
        assert client.get("/", **LOAD_BALANCER_CHECK).status_code == 400
        redirected = client.get("/readyz", HTTP_HOST="tube.example.com")
        assert redirected.status_code == 301
        assert redirected["Location"] == "https://tube.example.com/readyz"


class TestReadiness:
    def test_ready(self, client):
        """/readyz answers 200 JSON saying DynamoDB and S3 are ok, and is never cached."""
        response = client.get("/readyz")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"status": "ok", "dynamodb": "ok", "s3": "ok"}
        assert "no-cache" in response.get("Cache-Control", "")

    def test_post_not_allowed(self, client):
        """/readyz accepts GET and HEAD only."""
        assert client.post("/readyz").status_code == 405

    def test_dynamodb_down_then_back(self, client, dynamodb_relay):
        """With DynamoDB's port closed /readyz answers 503 naming it; reopening the port
        makes the same client ready again."""
        assert client.get("/readyz").status_code == 200
        dynamodb_relay.stop()
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "dynamodb": "unavailable", "s3": "ok"}
        dynamodb_relay.start()
        response = client.get("/readyz")
        assert response.status_code == 200
        assert response.json()["dynamodb"] == "ok"

    def test_s3_down_then_back(self, client, s3_relay):
        """With S3's port closed /readyz answers 503 naming it; reopening the port recovers."""
        assert client.get("/readyz").status_code == 200
        s3_relay.stop()
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "dynamodb": "ok", "s3": "unavailable"}
        s3_relay.start()
        assert client.get("/readyz").status_code == 200


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
        assert signed_in_client.get("/readyz").status_code == 503

        dynamodb_relay.start()
        response = signed_in_client.get("/studio/")
        assert response.status_code == 200
        assert b"Temporarily unavailable" not in response.content
        assert signed_in_client.get("/").status_code == 200
        assert signed_in_client.get("/readyz").status_code == 200

    def test_closed_port_without_relay(self, signed_in_client, monkeypatch, settings):
        """Pointing the user model at a port nobody listens on gives the 503 page, and
        restoring the configuration serves the page again (no restart). The user is
        read from the table each time (no per-process memory), as on a first request."""
        settings.USER_CACHE_S = 0
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
