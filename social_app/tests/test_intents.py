"""An anonymous Like or Subscribe is done after logging in (social_app.intents)."""

import secrets

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.test.signals import template_rendered
from django.utils.html import escape

from conftest import STRONG_PASSWORD, make_channel, make_user
from social_app.intents import intent_parse
from social_app.selectors import subscription_get, watch_state
from social_app.tests.factories import make_ready_video
from videos_app.selectors import video_counts, video_get


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def fresh_client() -> Client:
    """A client from an address of its own, so no log-in throttle counts carry over."""
    return Client(REMOTE_ADDR=f"10.77.{secrets.randbelow(250)}.{secrets.randbelow(250)}")


@pytest.fixture
def client():
    return fresh_client()


@pytest.fixture
def video():
    return make_ready_video(title="Sunset timelapse")


def log_in(client, user, *, password=STRONG_PASSWORD, **fields):
    return client.post("/accounts/login/", {"email": user.email, "password": password, **fields})


def liked(user, video) -> bool:
    return watch_state(video=video_get(video.video_id, consistent=True), user=user).liked


def toasts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


class TestIntentParse:
    @pytest.mark.parametrize(
        "raw",
        [
            "",
            None,
            "like",
            "like:",
            ":abc",
            "delete:abc",
            "like:a/b",
            "like:a b",
            "subscribe:" + "x" * 65,
            "comment:abc",
            "LIKE:abc",
        ],
    )
    def test_malformed_or_unknown_is_none(self, raw):
        assert intent_parse(raw) is None

    def test_like_and_subscribe_parse(self):
        assert str(intent_parse("like:01ABC")) == "like:01ABC"
        assert intent_parse(" subscribe:ch_1 ").kind == "subscribe"


class TestLikeAfterLogIn:
    def test_like_intent_is_done_and_told_and_lands_on_the_page(self, client, video):
        """The log-in POST with next=the watch page and intent=like likes the video,
        says so in a toast and goes back to the watch page."""
        user = make_user()
        watch = f"/watch/{video.video_id}/"

        response = log_in(client, user, next=watch, intent=f"like:{video.video_id}")

        assert response.status_code == 302 and response["Location"] == watch
        assert liked(user, video)
        assert video_counts(video.video_id, consistent=True).likes == 1
        assert toasts(response) == ["You liked “Sunset timelapse”."]

    def test_the_log_in_page_says_what_it_will_do_and_keeps_it(self, client, video):
        intent = f"like:{video.video_id}"
        page = client.get(
            "/accounts/login/", {"next": f"/watch/{video.video_id}/", "intent": intent}
        ).content.decode()

        assert '<p class="intent-note">Log in to like “Sunset timelapse”.</p>' in page
        assert f'name="intent" value="{intent}"' in page

    def test_a_failed_log_in_does_nothing(self, client, video):
        user = make_user()
        watch = f"/watch/{video.video_id}/"

        response = log_in(
            client,
            user,
            password="wrong-password-here",
            next=watch,
            intent=f"like:{video.video_id}",
        )

        assert response.status_code == 200
        assert not liked(user, video)
        # The form still carries the intent for the next try.
        assert f'name="intent" value="like:{video.video_id}"' in response.content.decode()

    @pytest.mark.parametrize(
        "intent",
        ["like", "like:", "like:../../x", "delete:{id}", "like:{id}:extra", "subscribe:{id}"],
    )
    def test_malformed_or_unknown_intent_is_ignored(self, client, video, intent):
        user = make_user()
        watch = f"/watch/{video.video_id}/"

        response = log_in(client, user, next=watch, intent=intent.format(id=video.video_id))

        assert response.status_code == 302 and response["Location"] == watch
        assert not liked(user, video)
        assert toasts(response) == []

    def test_an_intent_about_another_page_is_ignored(self, client, video):
        """A link from elsewhere cannot make someone like what they were not looking at:
        the intent must name the video of the page ``next`` leads to."""
        user = make_user()
        other = make_ready_video()

        on_other = log_in(
            client, user, next=f"/watch/{other.video_id}/", intent=f"like:{video.video_id}"
        )
        on_home = log_in(fresh_client(), user, next="/", intent=f"like:{video.video_id}")

        assert on_other["Location"] == f"/watch/{other.video_id}/"
        assert on_home["Location"] == "/"
        assert not liked(user, video) and not liked(user, other)
        page = (
            fresh_client()
            .get("/accounts/login/", {"next": "/", "intent": f"like:{video.video_id}"})
            .content.decode()
        )
        assert "intent-note" not in page and 'name="intent"' not in page

    def test_a_private_or_missing_video_is_ignored(self, client):
        user = make_user()
        private = make_ready_video(visibility="private")
        missing = "01J0000000000000000000000Z"

        log_in(client, user, next=f"/watch/{private.video_id}/", intent=f"like:{private.video_id}")
        response = log_in(fresh_client(), user, next=f"/watch/{missing}/", intent=f"like:{missing}")

        assert not liked(user, private)
        assert response.status_code == 302 and toasts(response) == []

    @pytest.mark.parametrize("target", ["//evil.com/watch/x/", "https://evil.com/", "///evil.com"])
    def test_next_off_the_site_still_lands_home_and_does_nothing(self, client, video, target):
        user = make_user()

        response = log_in(client, user, next=target, intent=f"like:{video.video_id}")

        assert response.status_code == 302 and response["Location"] == "/"
        assert not liked(user, video)


class TestSubscribeAfterLogIn:
    def test_from_the_channel_page(self, client):
        user = make_user()
        channel = make_channel(name="Night Skies")
        page = f"/c/{channel.handle}/"

        response = log_in(client, user, next=page, intent=f"subscribe:{channel.channel_id}")

        assert response["Location"] == page
        assert subscription_get(user=user, channel_id=channel.channel_id) is not None
        assert toasts(response) == ["You subscribed to Night Skies."]

    def test_from_a_watch_page_of_the_channel(self, client, video):
        user = make_user()
        watch = f"/watch/{video.video_id}/"

        response = log_in(client, user, next=watch, intent=f"subscribe:{video.channel_id}")

        assert response["Location"] == watch
        assert subscription_get(user=user, channel_id=video.channel_id) is not None

    def test_another_channel_than_the_page_shows_is_ignored(self, client, video):
        user = make_user()
        other = make_channel()

        log_in(client, user, next=f"/c/{other.handle}/", intent=f"subscribe:{video.channel_id}")
        log_in(
            fresh_client(),
            user,
            next=f"/watch/{video.video_id}/",
            intent=f"subscribe:{other.channel_id}",
        )

        assert subscription_get(user=user, channel_id=video.channel_id) is None
        assert subscription_get(user=user, channel_id=other.channel_id) is None

    def test_own_channel_is_ignored_without_an_error(self, client):
        owner = make_user()
        channel = make_channel(owner=owner)
        page = f"/c/{channel.handle}/"

        response = log_in(client, owner, next=page, intent=f"subscribe:{channel.channel_id}")

        assert response.status_code == 302 and response["Location"] == page
        assert subscription_get(user=owner, channel_id=channel.channel_id) is None
        assert toasts(response) == []


class TestAnonymousLinksCarryTheIntent:
    """The anonymous Like and Subscribe buttons are given a log-in URL with the intent."""

    @pytest.fixture
    def contexts(self):
        seen = {}

        def record(sender, template, context, **kwargs):
            seen.setdefault(template.name, context.flatten())

        template_rendered.connect(record)
        yield seen
        template_rendered.disconnect(record)

    def test_watch_page(self, client, video, contexts):
        assert client.get(f"/watch/{video.video_id}/").status_code == 200

        like = contexts["social_app/_like_button.html"]["login_url"]
        subscribe = contexts["social_app/_subscribe_button.html"]["login_url"]
        watch = f"%2Fwatch%2F{video.video_id}%2F"
        assert like == f"/accounts/login/?next={watch}&intent=like%3A{video.video_id}"
        assert subscribe == f"/accounts/login/?next={watch}&intent=subscribe%3A{video.channel_id}"

    def test_watch_page_comment_and_report_come_back_after_logging_in(
        self, client, video, contexts
    ):
        """Anonymous Comment and Report are given log-in links back to the comment form
        and to the report form; logging in through them lands there."""
        page = client.get(f"/watch/{video.video_id}/")
        assert page.status_code == 200
        shell = contexts["videos_app/_watch_main.html"]
        html = page.content.decode()
        for url in (shell["comment_login_url"], shell["report_login_url"]):
            assert f'href="{escape(url)}"' in html, url  # the page links to them
        assert 'id="comment-form"' not in html  # visitors get the link, not the form
        comment, report = shell["comment_login_url"], shell["report_login_url"]
        assert comment == f"/accounts/login/?next=%2Fwatch%2F{video.video_id}%2F%23comment-form"
        assert report == (
            f"/accounts/login/?next=%2Freport%2F%3Ftype%3Dvideo%26id%3D{video.video_id}"
        )

        user = make_user()
        to_report = fresh_client().post(report, {"email": user.email, "password": STRONG_PASSWORD})
        assert to_report["Location"] == f"/report/?type=video&id={video.video_id}"
        to_comment = fresh_client().post(
            comment, {"email": user.email, "password": STRONG_PASSWORD}
        )
        assert to_comment["Location"] == f"/watch/{video.video_id}/#comment-form"

    def test_channel_page(self, client, contexts):
        channel = make_channel()
        page = client.get(f"/c/{channel.handle}/")
        assert page.status_code == 200

        login_url = contexts["social_app/_subscribe_button.html"]["login_url"]
        report = contexts["channels_app/_channel_main.html"]["report_login_url"]
        assert f'href="{escape(report)}"' in page.content.decode()
        assert report == (
            f"/accounts/login/?next=%2Freport%2F%3Ftype%3Dchannel%26id%3D{channel.channel_id}"
        )
        assert login_url == (
            f"/accounts/login/?next=%2Fc%2F{channel.handle}%2F"
            f"&intent=subscribe%3A{channel.channel_id}"
        )
