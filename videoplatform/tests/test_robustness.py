"""Requests that used to fail badly: HEAD on read-only pages (405), and an event webhook
body that broke the JSON parser (500, with the secret in DEBUG's error page)."""

import pytest
from django.conf import settings
from django.test import Client

from conftest import make_channel, make_user
from social_app.tests.factories import make_ready_video
from videoplatform import hooks


@pytest.fixture
def webhook_headers():
    return {settings.EVENTS_WEBHOOK_HEADER: settings.EVENTS_WEBHOOK_SECRET}


class TestHead:
    def test_read_only_pages_answer_head(self, client):
        """HEAD gets what GET gets (status, no body) on the read-only pages, /healthz and
        a video's playlist, instead of 405."""
        owner = make_user()
        channel = make_channel(owner=owner)
        video = make_ready_video(owner=owner, channel=channel)
        paths = [
            "/healthz",
            f"/watch/{video.video_id}/",
            f"/c/{channel.handle}/",
            "/accounts/login/",
            "/",
        ]
        for path in paths:
            get = client.get(path)
            head = client.head(path)
            assert head.status_code == get.status_code == 200, path
            assert head.content == b"", path

    def test_head_is_not_a_post(self, client):
        """HEAD on a page that also takes POST (log in) reads, it does not act."""
        response = client.head("/accounts/login/")
        assert response.status_code == 200 and "sessionid" not in response.cookies


class TestWebhookBodies:
    def test_deeply_nested_body_is_a_clear_400(self, client, webhook_headers):
        """50,000 nested brackets are a malformed body (400 with a message), not a 500."""
        response = client.post(
            "/hooks/aws/events/", "[" * 50_000, content_type="application/json", **webhook_headers
        )
        assert response.status_code == 400
        assert "nested" in response.json()["error"]

    def test_secret_never_in_the_debug_error_page(self, settings, webhook_headers, monkeypatch):
        """With DEBUG on, a crash inside the webhook shows an error page that does not
        contain the shared secret (its locals are marked sensitive)."""
        settings.DEBUG = True

        def crash(event):
            raise RuntimeError("handler crashed")

        monkeypatch.setattr(hooks, "handle_event", crash)
        client = Client(raise_request_exception=False)
        response = client.post(
            "/hooks/aws/events/", "{}", content_type="application/json", **webhook_headers
        )
        assert response.status_code == 500
        body = response.content.decode()
        assert "handler crashed" in body  # the debug page was rendered
        assert settings.EVENTS_WEBHOOK_SECRET not in body
