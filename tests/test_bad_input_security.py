"""The bad-input catalogue, security round two: what an attacker sent at a fresh
`make run` (forged forwarding headers, burst log-ins, probing sign-ups, tokenless or
repeated posts, script dressed as an image, nested JSON), each answered clearly with
nothing stored changed. The last test prints this part's count and the whole
catalogue's ("bad inputs tried, with security round two: N")."""

import re
import threading

import pytest
import requests
from django.conf import settings
from django.core import mail
from django.test import Client, override_settings

from channels_app.images import channel_image_upload_start
from channels_app.models import PendingSignup
from channels_app.selectors import channel_get, user_get_by_email
from conftest import STRONG_PASSWORD, make_channel, make_user, unique
from social_app.models import Comment
from social_app.services import like_set
from social_app.tests.factories import make_ready_video
from tests.test_bad_input import (
    CATALOGUE,
    Ctx,
    fresh,
    new_client,
    signed_in,
    text_of,
)
from videos_app.services import video_update


@pytest.fixture(scope="module")
def ctx():
    return Ctx()


def _comments(video):
    return [c for c in Comment.query(video.video_id) if not c.deleted]


# --- Proxies and log-in ---------------------------------------------------------------------


def forwarded_for_junk(ctx):
    """Whatever X-Forwarded-For holds, the log-in answers normally (REMOTE_ADDR is used)."""
    for junk in (
        "<script>alert(1)</script>",
        "not-an-ip, also-not",
        ",,,",
        "1.2.3.4:80, 999.1.1.1",
    ):
        with override_settings(TRUSTED_PROXY_HOPS=1):
            client = new_client(HTTP_X_FORWARDED_FOR=junk)
            response = client.post(
                "/accounts/login/", {"email": ctx.owner.email, "password": STRONG_PASSWORD}
            )
        assert response.status_code == 302, junk


def login_burst(ctx):
    """Parallel wrong passwords: the extra attempts get 429 with Retry-After, unchecked."""
    victim = make_user()
    client_addr = new_client().defaults["REMOTE_ADDR"]
    answers = []

    def attempt():
        client = Client(REMOTE_ADDR=client_addr)
        response = client.post("/accounts/login/", {"email": victim.email, "password": "wrong"})
        answers.append((response.status_code, response.get("Retry-After")))

    threads = [threading.Thread(target=attempt) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    refused = [retry for status, retry in answers if status == 429]
    assert len(refused) >= 12 - settings.LOGIN_FAILURES_PER_ACCOUNT - 1
    assert all(retry and retry.isdigit() and int(retry) >= 1 for retry in refused)


# --- Sign-up ----------------------------------------------------------------------------------


def _signup(email):
    client = new_client()
    response = client.post(
        "/accounts/signup/",
        {"email": email, "display_name": "Probe", "password": STRONG_PASSWORD},
    )
    return response


def signup_probe_existing_email(ctx):
    """Signing up with a taken email answers exactly as a new one; nothing is stored."""
    new_email = f"{unique('new')}@example.com"
    taken, fresh_answer = _signup(ctx.owner.email), _signup(new_email)
    assert taken.status_code == fresh_answer.status_code == 200

    def page(response, email):
        text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text_of(response))
        text = re.sub(r'"X-CSRFToken": "[^"]+"', "", text)
        return text.replace(email, "EMAIL")

    assert page(taken, ctx.owner.email) == page(fresh_answer, new_email)
    assert user_get_by_email(new_email) is None  # not before the link is followed


def signup_confirm_unknown_token(ctx):
    before = PendingSignup.count()
    for token in ("x" * 43, "short", "..%2F..%2Fetc"):
        response = new_client().post(f"/accounts/signup/confirm/{token}/")
        assert response.status_code in (400, 404), token
    assert PendingSignup.count() == before


def signup_confirm_get_changes_nothing(ctx):
    mail.outbox.clear()
    email = f"{unique('get')}@example.com"
    _signup(email)
    link = re.search(r"/accounts/signup/confirm/[^/\s]+/", mail.outbox[-1].body).group(0)
    assert new_client().get(link).status_code == 200
    assert user_get_by_email(email) is None


# --- Posts sent twice, tokens that are not tokens -----------------------------------------------


def comment_token_repeated(ctx):
    client = signed_in(ctx.other)
    before = len(_comments(ctx.video))
    form = {"text": "Said once", "client_token": "r" * 24}
    for _ in range(3):
        assert client.post(f"/watch/{ctx.video.video_id}/comments/", form).status_code == 302
    assert len(_comments(ctx.video)) == before + 1


def comment_token_malformed(ctx):
    """A token no form makes is ignored (the post counts once, as without a token)."""
    client = signed_in(ctx.other)
    for token in ("../../etc/passwd", "<script>", "a" * 300, "", "short"):
        before = len(_comments(ctx.video))
        response = client.post(
            f"/watch/{ctx.video.video_id}/comments/", {"text": "odd token", "client_token": token}
        )
        assert response.status_code == 302, token
        assert len(_comments(ctx.video)) == before + 1, token


def view_without_page_token(ctx):
    client = new_client()
    before = fresh(ctx.video).view_count
    response = client.post(f"/watch/{ctx.video.video_id}/view/")
    assert response.status_code == 400 and "sessionid" not in client.cookies
    assert fresh(ctx.video).view_count == before


# --- Private details ---------------------------------------------------------------------------


def report_form_private_video(ctx):
    private = make_ready_video(owner=ctx.owner, visibility="private", title=unique("Secret"))
    response = signed_in(ctx.other).get(f"/report/?type=video&id={private.video_id}")
    assert response.status_code == 404 and private.title not in text_of(response)


def liked_list_after_private(ctx):
    video = make_ready_video(owner=ctx.owner, title=unique("Was public"))
    like_set(user=ctx.other, video_id=video.video_id, liked=True)
    video_update(
        actor=ctx.owner, video=video, title=video.title, description="", visibility="private"
    )
    page = text_of(signed_in(ctx.other).get("/feed/liked/"))
    assert video.title not in page


# --- Webhook ------------------------------------------------------------------------------------


def webhook_deeply_nested(ctx):
    client = new_client()
    headers = {settings.EVENTS_WEBHOOK_HEADER: settings.EVENTS_WEBHOOK_SECRET}
    for body in ("[" * 50_000, '{"a":' * 20_000):
        response = client.post(
            "/hooks/aws/events/", body, content_type="application/json", **headers
        )
        assert response.status_code == 400


# --- Images -------------------------------------------------------------------------------------


def image_type_smuggling_html(ctx):
    """Types that are not exactly one of the four image types are refused at start."""
    channel = channel_get(ctx.channel.channel_id)
    client = signed_in(ctx.owner)
    for content_type in ("image/gif,text/html", "image/svg+xml", "text/html", "image/png; x=1"):
        response = client.post(
            f"/studio/channels/{channel.channel_id}/images/avatar/start/",
            {"content_type": content_type},
        )
        assert response.status_code == 400, content_type
    assert channel_get(channel.channel_id).avatar_key == channel.avatar_key


def image_declared_png_is_a_gif(ctx):
    owner = make_user()
    channel = make_channel(owner=owner)
    post = channel_image_upload_start(
        actor=owner, channel=channel, kind="avatar", content_type="image/png"
    )
    body = b"GIF89a" + b"<script>alert(1)</script>" * 4
    stored = requests.post(
        post.url, data=post.fields, files={"file": ("a.png", body, "image/png")}, timeout=10
    )
    assert stored.status_code in (200, 201, 204)
    response = signed_in(owner).post(
        f"/studio/channels/{channel.channel_id}/images/avatar/complete/",
        {"key": post.key},
    )
    assert response.status_code == 400
    assert not channel_get(channel.channel_id).avatar_key


SECURITY_CASES = {
    "forwarded-for-junk": forwarded_for_junk,
    "login-burst": login_burst,
    "signup-probe-existing-email": signup_probe_existing_email,
    "signup-confirm-unknown-token": signup_confirm_unknown_token,
    "signup-confirm-get": signup_confirm_get_changes_nothing,
    "comment-token-repeated": comment_token_repeated,
    "comment-token-malformed": comment_token_malformed,
    "view-without-page-token": view_without_page_token,
    "report-form-private-video": report_form_private_video,
    "liked-list-after-private": liked_list_after_private,
    "webhook-deeply-nested": webhook_deeply_nested,
    "image-type-smuggling-html": image_type_smuggling_html,
    "image-declared-png-is-a-gif": image_declared_png_is_a_gif,
}
# Several cases try more than one input each.
SECURITY_INPUTS = 4 + 12 + 2 + 3 + 1 + 3 + 5 + 1 + 1 + 1 + 2 + 4 + 1


@pytest.mark.parametrize("case", SECURITY_CASES.values(), ids=SECURITY_CASES.keys())
def test_security_bad_input_is_answered_clearly(ctx, case):
    case(ctx)


def test_report_security_bad_inputs_tried(capsys):
    total = sum(CATALOGUE.values())
    with capsys.disabled():
        print(
            f"\nbad inputs tried, with security round two: {total + SECURITY_INPUTS} "
            f"(earlier catalogue {total}, security round two {SECURITY_INPUTS} "
            f"in {len(SECURITY_CASES)} cases)"
        )
    assert len(SECURITY_CASES) >= 13
