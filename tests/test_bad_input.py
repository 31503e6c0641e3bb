"""The bad-input catalogue: one case for each bad input the earlier issues handled, plus
over-long headers, ids no key can have, unicode edge cases, path traversal in keys, open
redirects in ``next=`` and cross-site posts.

Each case is answered clearly (a message in the page or a 4xx, never a 500) and leaves
what is stored as it was. The Django test client re-raises any exception a view lets
escape, so a 500 fails the case with its traceback. The last test prints the count
("bad inputs tried: N").
"""

import itertools
import json
import secrets
import struct
import unicodedata
import zlib

import pytest
import requests
from django.conf import settings
from django.test import Client, override_settings

from channels_app.accounts import user_set_role
from channels_app.images import channel_image_upload_start
from channels_app.models import Role
from channels_app.selectors import channel_get, channel_get_by_handle, user_get, user_get_by_email
from channels_app.tests.factories import signup_link
from conftest import STRONG_PASSWORD, make_channel, make_user, unique
from social_app.models import Comment, Report, Subscription
from social_app.services import comment_post, subscription_set
from social_app.tests.factories import make_ready_video
from videoplatform.aws import s3_client
from videoplatform.events import make_event
from videos_app import services as video_services
from videos_app.models import Video, VideoStatus
from videos_app.selectors import video_get
from videos_app.tests.factories import post_to_storage, start_upload

_ips = itertools.count(secrets.randbelow(2**20))


def new_client(**defaults) -> Client:
    """A client from an address of its own, so per-IP limits of other cases never apply."""
    n = next(_ips)
    return Client(REMOTE_ADDR=f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}", **defaults)


def signed_in(user, **defaults) -> Client:
    client = new_client(**defaults)
    response = client.post("/accounts/login/", {"email": user.email, "password": STRONG_PASSWORD})
    assert response.status_code == 302
    return client


def csrf_checked(user) -> Client:
    """Signed in as ``user``, but posting like a cross-site form: no CSRF token."""
    client = new_client(enforce_csrf_checks=True)
    client.cookies = signed_in(user).cookies
    return client


def fresh(video) -> Video:
    return video_get(video.video_id, consistent=True, with_counts=True)


def channel_video_ids(channel) -> list[str]:
    return sorted(v.video_id for v in Video.channel_index.query(channel.channel_id))


def comment_count(video) -> int:
    return fresh(video).comment_count


def text_of(response) -> str:
    return response.content.decode(errors="replace")


def message_after(client, response) -> str:
    """The page a no-JS form post redirects to, with the message it carries."""
    assert response.status_code == 302, response.status_code
    return text_of(client.get(response["Location"]))


def png_bytes() -> bytes:
    """A valid 1x1 PNG."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def uploaded_avatar_key(owner, channel) -> str:
    post = channel_image_upload_start(
        actor=owner, channel=channel, kind="avatar", content_type="image/png"
    )
    response = requests.post(
        post.url, data=post.fields, files={"file": ("a.png", png_bytes(), "image/png")}, timeout=10
    )
    assert response.status_code in (200, 201, 204), response.text
    return post.key


class Ctx:
    """What most cases read but do not change: an owner with a channel and a ready video."""

    def __init__(self):
        self.owner = make_user(display_name="Owner")
        self.channel = make_channel(owner=self.owner, name="Owner Channel")
        self.video = make_ready_video(owner=self.owner, channel=self.channel, title="Owner video")
        s3_client().put_object(
            Bucket=settings.S3_MEDIA_BUCKET,
            Key=self.video.playlist_key,
            Body=b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000\n360p/index.m3u8\n",
        )
        self.other = make_user(display_name="Other")
        self.moderator = make_user(display_name="Moderator")
        user_set_role(user=self.moderator, role=Role.MODERATOR, granted=True)
        self.admin = make_user(display_name="Admin")
        user_set_role(user=self.admin, role=Role.ADMIN, granted=True)


@pytest.fixture(scope="module")
def ctx():
    return Ctx()


# --- Over-long headers and cookies ----------------------------------------------------

TEN_KB = 10 * 1024


def header_ua_home(ctx):
    response = new_client(HTTP_USER_AGENT="u" * TEN_KB).get("/")
    assert response.status_code == 200


def header_ua_login(ctx):
    client = new_client(HTTP_USER_AGENT="u" * TEN_KB)
    response = client.post(
        "/accounts/login/", {"email": ctx.owner.email, "password": STRONG_PASSWORD}
    )
    assert response.status_code == 302 and client.get("/studio/").status_code == 200


def header_referer_on_login_redirect(ctx):
    # A signed-out POST is sent to log in with the way back taken from the Referer.
    before = fresh(ctx.video).like_count
    response = new_client().post(
        f"/watch/{ctx.video.video_id}/like/",
        {"liked": "1"},
        HTTP_REFERER="http://testserver/" + "r" * TEN_KB,
    )
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert fresh(ctx.video).like_count == before


def header_many_cookies(ctx):
    cookie = "; ".join(f"c{i}={'v' * 100}" for i in range(600))  # ~64 KB
    assert new_client().get("/", HTTP_COOKIE=cookie).status_code == 200


def header_huge_session_cookie(ctx):
    client = new_client()
    client.cookies["sessionid"] = "s" * TEN_KB
    assert client.get("/").status_code == 200
    studio = client.get("/studio/")
    assert studio.status_code == 302 and studio["Location"].startswith("/accounts/login/")


def header_odd_session_cookie(ctx):
    client = new_client()
    client.cookies["sessionid"] = "../../etc/passwd"
    assert client.get("/").status_code == 200


def header_huge_cookie_signed_in(ctx):
    client = signed_in(ctx.owner)
    client.cookies["junk"] = "j" * TEN_KB
    assert client.get("/studio/").status_code == 200


def header_huge_csrf_cookie(ctx):
    client = csrf_checked(ctx.owner)
    client.cookies["csrftoken"] = "t" * TEN_KB
    response = client.post(
        f"/studio/videos/{ctx.video.video_id}/edit/",
        {"title": "Changed", "description": "", "visibility": "public", "csrfmiddlewaretoken": "t"},
    )
    assert response.status_code == 403 and fresh(ctx.video).title == ctx.video.title


def header_garbage_messages_cookie(ctx):
    client = new_client()
    client.cookies["messages"] = "not-signed-" * 1000
    assert client.get("/").status_code == 200


def header_huge_cursor(ctx):
    # A cursor that does not decode starts from the first page.
    assert new_client().get("/", {"after": "x" * TEN_KB}).status_code == 200
    assert new_client().get("/", {"after": "!!!not-a-cursor"}).status_code == 200


HEADER_CASES = {
    "user-agent-10kb-home": header_ua_home,
    "user-agent-10kb-login": header_ua_login,
    "referer-10kb-login-redirect": header_referer_on_login_redirect,
    "cookie-header-64kb": header_many_cookies,
    "session-cookie-10kb": header_huge_session_cookie,
    "session-cookie-path-chars": header_odd_session_cookie,
    "cookie-10kb-signed-in": header_huge_cookie_signed_in,
    "csrf-cookie-10kb": header_huge_csrf_cookie,
    "messages-cookie-garbage": header_garbage_messages_cookie,
    "cursor-10kb": header_huge_cursor,
}


@pytest.mark.parametrize("case", HEADER_CASES.values(), ids=HEADER_CASES.keys())
def test_over_long_headers_are_answered_without_500(ctx, case):
    """An owner with a channel and a ready video, another user, a moderator and an admin."""
    case(ctx)


# --- Ids no item can have (empty or beyond DynamoDB's key size) -------------------------

LONG_ID = "x" * 3000


def long_id_watch(ctx):
    return new_client().get(f"/watch/{LONG_ID}/"), 404


def long_id_channel_edit(ctx):
    return signed_in(ctx.owner).get(f"/studio/channels/{LONG_ID}/edit/"), 404


def long_id_channel_page(ctx):
    return new_client().get(f"/c/{LONG_ID}/"), 404


def long_id_live_page(ctx):
    return new_client().get(f"/live/{LONG_ID}/"), 404


def long_id_notification(ctx):
    return signed_in(ctx.owner).get(f"/notifications/{LONG_ID}/open/"), 404


def long_id_comment_edit(ctx):
    url = f"/watch/{ctx.video.video_id}/comments/{LONG_ID}/edit/"
    return signed_in(ctx.owner).post(url, {"text": "x"}), 404


def long_id_comment_delete(ctx):
    url = f"/watch/{ctx.video.video_id}/comments/{LONG_ID}/delete/"
    return signed_in(ctx.owner).post(url), 404


def long_id_reply_parent(ctx):
    commenter = make_user()
    before = comment_count(ctx.video)
    client = signed_in(commenter)
    response = client.post(
        f"/watch/{ctx.video.video_id}/comments/", {"text": "reply", "parent_id": LONG_ID}
    )
    assert "no longer exists" in message_after(client, response)
    assert comment_count(ctx.video) == before
    return response, 302


def long_id_report_channel(ctx):
    return signed_in(ctx.other).get("/report/", {"type": "channel", "id": LONG_ID}), 404


def empty_id_report_channel(ctx):
    return signed_in(ctx.other).get("/report/", {"type": "channel", "id": ""}), 404


def missing_video_report_comment(ctx):
    return signed_in(ctx.other).get("/report/", {"type": "comment", "id": "x"}), 404


def empty_id_report_post(ctx):
    response = signed_in(ctx.other).post(
        "/report/", {"type": "channel", "id": "", "reason": "spam"}
    )
    return response, 404


def long_id_moderation_user(ctx):
    return signed_in(ctx.moderator).get(f"/moderation/users/{LONG_ID}/"), 404


def long_id_moderation_target(ctx):
    return signed_in(ctx.moderator).get(f"/moderation/targets/video%23{LONG_ID}/"), 404


def _act(ctx, user, action, data):
    client = signed_in(user)
    response = client.post(f"/moderation/actions/{action}/", {"reason": "Checking", **data})
    body = message_after(client, response)
    assert "message error" in body, body[:500]
    return response, 302


def empty_id_dismiss(ctx):
    return _act(ctx, ctx.moderator, "dismiss", {"target_key": ""})


def long_id_dismiss(ctx):
    return _act(ctx, ctx.moderator, "dismiss", {"target_key": LONG_ID})


def empty_id_ban(ctx):
    return _act(ctx, ctx.moderator, "ban_user", {"user_id": ""})


def long_id_ban(ctx):
    return _act(ctx, ctx.moderator, "ban_user", {"user_id": LONG_ID})


def empty_id_grant(ctx):
    return _act(ctx, ctx.admin, "grant_moderator", {"user_id": ""})


def long_id_remove_comment(ctx):
    return _act(
        ctx,
        ctx.moderator,
        "remove_comment",
        {"video_id": ctx.video.video_id, "comment_id": LONG_ID},
    )


def empty_id_remove_video(ctx):
    return _act(ctx, ctx.moderator, "remove_video", {"video_id": ""})


IMPOSSIBLE_ID_CASES = {
    "watch-3000-char-id": long_id_watch,
    "channel-edit-3000-char-id": long_id_channel_edit,
    "channel-page-3000-char-handle": long_id_channel_page,
    "live-page-3000-char-id": long_id_live_page,
    "notification-open-3000-char-id": long_id_notification,
    "comment-edit-3000-char-id": long_id_comment_edit,
    "comment-delete-3000-char-id": long_id_comment_delete,
    "reply-to-3000-char-parent": long_id_reply_parent,
    "report-channel-3000-char-id": long_id_report_channel,
    "report-channel-empty-id": empty_id_report_channel,
    "report-comment-without-video": missing_video_report_comment,
    "report-post-empty-id": empty_id_report_post,
    "moderation-user-3000-char-id": long_id_moderation_user,
    "moderation-target-3000-char-key": long_id_moderation_target,
    "dismiss-empty-target": empty_id_dismiss,
    "dismiss-3000-char-target": long_id_dismiss,
    "ban-empty-user": empty_id_ban,
    "ban-3000-char-user": long_id_ban,
    "grant-moderator-empty-user": empty_id_grant,
    "remove-comment-3000-char-id": long_id_remove_comment,
    "remove-video-empty-id": empty_id_remove_video,
}


@pytest.mark.parametrize("case", IMPOSSIBLE_ID_CASES.values(), ids=IMPOSSIBLE_ID_CASES.keys())
def test_impossible_ids_are_not_found(ctx, case):
    """An empty id or one longer than any key is "not found" (or a message), never a 500."""
    response, expected = case(ctx)
    assert response.status_code == expected, response.status_code


# --- Unicode edge cases ---------------------------------------------------------------

INVISIBLE = {
    "rtl-override": "\u202e",
    "zero-width-space": "\u200b",
    "zero-width-joiner": "\u200d",
    "byte-order-mark": "\ufeff",
}
INVISIBLE_MESSAGE = "contains invisible control characters."
HANDLE_RULES = "Handles are 3-30 characters"


def invisible_in_handle(ctx, char):
    user = make_user()
    handle = unique("h")
    response = signed_in(user).post(
        "/studio/channels/new/",
        {"name": "Fine", "handle": handle[:3] + char + handle[3:], "description": ""},
    )
    assert response.status_code == 200 and HANDLE_RULES in text_of(response)
    assert channel_get_by_handle(handle) is None


def invisible_in_display_name(ctx, char):
    email = f"{unique()}@example.com"
    response = new_client().post(
        "/accounts/signup/",
        {"email": email, "display_name": f"Ada{char}Lovelace", "password": STRONG_PASSWORD},
    )
    assert response.status_code == 200
    assert f"Display name {INVISIBLE_MESSAGE}" in text_of(response)
    assert user_get_by_email(email) is None


def invisible_in_channel_name(ctx, char):
    user = make_user()
    handle = unique("h")
    response = signed_in(user).post(
        "/studio/channels/new/", {"name": f"Cats{char}", "handle": handle, "description": ""}
    )
    assert response.status_code == 200 and f"Name {INVISIBLE_MESSAGE}" in text_of(response)
    assert channel_get_by_handle(handle) is None


def invisible_in_upload_title(ctx, char):
    before = channel_video_ids(ctx.channel)
    response = signed_in(ctx.owner).post(
        "/studio/upload/",
        {
            "channel_id": ctx.channel.channel_id,
            "title": f"My{char}clip",
            "description": "",
            "visibility": "public",
            "size": "100",
            "content_type": "video/mp4",
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == f"Title {INVISIBLE_MESSAGE}"
    assert channel_video_ids(ctx.channel) == before


def invisible_in_edited_title(ctx, char):
    response = signed_in(ctx.owner).post(
        f"/studio/videos/{ctx.video.video_id}/edit/",
        {"title": f"{char}Renamed", "description": "", "visibility": "public"},
    )
    assert response.status_code == 200 and f"Title {INVISIBLE_MESSAGE}" in text_of(response)
    assert fresh(ctx.video).title == ctx.video.title


def invisible_in_comment(ctx, char):
    before = comment_count(ctx.video)
    client = signed_in(make_user())
    response = client.post(f"/watch/{ctx.video.video_id}/comments/", {"text": f"hi{char}there"})
    assert f"Comment {INVISIBLE_MESSAGE}" in message_after(client, response)
    assert comment_count(ctx.video) == before


INVISIBLE_FIELDS = {
    "handle": invisible_in_handle,
    "display-name": invisible_in_display_name,
    "channel-name": invisible_in_channel_name,
    "upload-title": invisible_in_upload_title,
    "edited-title": invisible_in_edited_title,
    "comment": invisible_in_comment,
}
INVISIBLE_CASES = [
    pytest.param(check, char, id=f"{field}-{name}")
    for field, check in INVISIBLE_FIELDS.items()
    for name, char in INVISIBLE.items()
]


@pytest.mark.parametrize(("check", "char"), INVISIBLE_CASES)
def test_invisible_characters_are_refused_with_a_message(ctx, check, char):
    """RTL override and zero-width characters are refused with a message; nothing is stored."""
    check(ctx, char)


VISIBLE_TEXT = {
    # Decomposed "é" (stored composed), an emoji with a skin tone, a CJK word and a tag.
    "combining-accent": "Cafe\u0301 <b>menu</b>",
    "emoji-skin-tone": "Thumbs \U0001f44d\U0001f3fd and \U0001f3ac <i>x</i>",
    "cjk-and-arabic": "\u52a8\u753b \u0641\u064a\u062f\u064a\u0648 <u>y</u>",
}


@pytest.mark.parametrize("title", VISIBLE_TEXT.values(), ids=VISIBLE_TEXT.keys())
def test_combining_characters_and_emoji_are_accepted_and_escaped(title):
    """Accents, emoji and other scripts are accepted, stored as NFC and rendered escaped."""
    owner = make_user()
    video = make_ready_video(owner=owner)
    response = signed_in(owner).post(
        f"/studio/videos/{video.video_id}/edit/",
        {"title": title, "description": "", "visibility": "public"},
    )
    assert response.status_code == 302
    stored = unicodedata.normalize("NFC", title)
    assert fresh(video).title == stored
    page = text_of(new_client().get(f"/watch/{video.video_id}/"))
    escaped = stored.replace("<", "&lt;").replace(">", "&gt;")
    assert escaped in page and "<b>menu" not in page and "<i>x" not in page


# --- Path traversal in keys -----------------------------------------------------------


def avatar_key_dot_dot(ctx, owner, channel):
    return f"images/{channel.channel_id}/avatar/../../x"


def avatar_key_encoded_dot_dot(ctx, owner, channel):
    return f"images/{channel.channel_id}/avatar/..%2F..%2Fx"


def avatar_key_served(ctx, owner, channel):
    # The served copy's folder: only the app writes there, complete never reads it.
    return f"channels/{channel.channel_id}/avatar/x.png"


def avatar_key_other_channel(ctx, owner, channel):
    # A real image, uploaded by someone else for their own channel.
    return uploaded_avatar_key(ctx.owner, ctx.channel)


def avatar_key_hls(ctx, owner, channel):
    return f"hls/{ctx.video.video_id}/master.m3u8"


AVATAR_KEYS = {
    "dot-dot": avatar_key_dot_dot,
    "encoded-dot-dot": avatar_key_encoded_dot_dot,
    "served-media-key": avatar_key_served,
    "another-channels-upload": avatar_key_other_channel,
    "video-playlist-key": avatar_key_hls,
}


@pytest.mark.parametrize("make_key", AVATAR_KEYS.values(), ids=AVATAR_KEYS.keys())
def test_channel_image_key_outside_its_folder_is_refused(ctx, make_key):
    """An image key outside the channel's avatar upload folder is refused; avatar and
    object stay."""
    owner = make_user()
    channel = make_channel(owner=owner)
    key = make_key(ctx, owner, channel)
    response = signed_in(owner).post(
        f"/studio/channels/{channel.channel_id}/images/avatar/complete/", {"key": key}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "That upload does not belong to this channel."
    assert channel_get(channel.channel_id).avatar_key is None
    if key.startswith("images/") and channel.channel_id not in key:  # still there
        s3_client().head_object(Bucket=settings.S3_RAW_BUCKET, Key=key)
    elif key.startswith("hls/"):
        s3_client().head_object(Bucket=settings.S3_MEDIA_BUCKET, Key=key)


PLAYLIST_NAMES = {
    "dot-dot-to-raw": "../../raw/source.m3u8",
    "dot-dot-inside": "360p/../../x.m3u8",
    "encoded-slashes": "..%2F..%2Fmaster.m3u8",
    "encoded-dots": "%2e%2e/%2e%2e/master.m3u8",
    "absolute": "/etc/passwd",
    "backslashes": "..\\..\\master.m3u8",
}


@pytest.mark.parametrize("name", PLAYLIST_NAMES.values(), ids=PLAYLIST_NAMES.keys())
def test_playlist_name_with_dot_dot_is_not_found(ctx, name):
    """A playlist name climbing out of the video's folder is 404 (the real one is 200)."""
    client = new_client()
    assert client.get(f"/watch/{ctx.video.video_id}/hls/master.m3u8").status_code == 200
    assert client.get(f"/watch/{ctx.video.video_id}/hls/{name}").status_code == 404


REPORT_TARGETS = {
    "video-dot-dot": {"type": "video", "id": "../../x"},
    "video-dot-dot-own-id": {"type": "video", "id": "../{video}"},
    "comment-dot-dot": {"type": "comment", "id": "../x", "video": "../{video}"},
    "channel-dot-dot": {"type": "channel", "id": "../../etc/passwd"},
}


@pytest.mark.parametrize("target", REPORT_TARGETS.values(), ids=REPORT_TARGETS.keys())
def test_report_target_with_dot_dot_is_not_found(ctx, target):
    """A report on an id with "../" is 404 for the page and the POST, and stores nothing."""
    video = make_ready_video()
    data = {key: value.format(video=video.video_id) for key, value in target.items()}
    client = signed_in(make_user())
    assert client.get("/report/", data).status_code == 404
    response = client.post("/report/", {**data, "reason": "spam"})
    assert response.status_code == 404
    assert Report.count(f"video#{video.video_id}") == 0


# --- Open redirects through next= ------------------------------------------------------

EVIL_NEXT = {
    "scheme-relative": "//evil.com",
    "absolute-https": "https://evil.com",
    "backslash": "/\\evil.com",
    "javascript": "javascript:alert(1)",
}


def assert_local(location: str) -> None:
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location
    assert "evil.com" not in location and "javascript" not in location, location


def redirect_after_login(ctx, target):
    client = new_client()
    page = client.get("/accounts/login/", {"next": target})
    assert "evil.com" not in text_of(page) and "javascript:" not in text_of(page)
    response = client.post(
        "/accounts/login/",
        {"email": ctx.other.email, "password": STRONG_PASSWORD, "next": target},
    )
    assert response.status_code == 302
    return response["Location"]


def redirect_after_signup(ctx, target):
    client = new_client()
    page = client.get("/accounts/signup/", {"next": target})
    assert "evil.com" not in text_of(page) and "javascript:" not in text_of(page)
    email = f"{unique()}@example.com"
    sent = client.post(
        f"/accounts/signup/?next={target}",
        {"email": email, "display_name": "New", "password": STRONG_PASSWORD},
    )
    assert sent.status_code == 200 and "Check your inbox" in text_of(sent)
    link = signup_link(email)
    confirm = client.get(link)
    assert "evil.com" not in text_of(confirm) and "javascript:" not in text_of(confirm)
    # The confirming POST carries next= again, as a forged or edited form could.
    response = client.post(link, {"next": target})
    assert response.status_code == 302 and user_get_by_email(email) is not None
    return response["Location"]


def redirect_after_report(ctx, target):
    response = signed_in(make_user()).post(
        "/report/",
        {"type": "video", "id": ctx.video.video_id, "reason": "spam", "next": target},
    )
    assert response.status_code == 302
    return response["Location"]


NEXT_FORMS = {
    "login": redirect_after_login,
    "signup": redirect_after_signup,
    "report": redirect_after_report,
}
OPEN_REDIRECT_CASES = [
    pytest.param(form, target, id=f"{form_name}-{target_name}")
    for form_name, form in NEXT_FORMS.items()
    for target_name, target in EVIL_NEXT.items()
]


@pytest.mark.parametrize(("form", "target"), OPEN_REDIRECT_CASES)
def test_next_to_another_site_is_ignored(ctx, form, target):
    """An off-site next= is not echoed into the form and every redirect stays on this site."""
    assert_local(form(ctx, target))


# --- The earlier issues' cases, one each --------------------------------------------------


def upload_form(channel, **overrides):
    data = {
        "channel_id": channel.channel_id,
        "title": "Clip",
        "description": "",
        "visibility": "public",
        "size": "1000",
        "content_type": "video/mp4",
    }
    data.update(overrides)
    return data


def upload_refused(ctx, message, **overrides):
    owner = make_user()
    channel = make_channel(owner=owner)
    response = signed_in(owner).post("/studio/upload/", upload_form(channel, **overrides))
    assert response.status_code == 400 and message in response.json()["error"]
    assert channel_video_ids(channel) == []


def earlier_upload_not_a_video(ctx):
    upload_refused(ctx, "That file is not a video.", content_type="text/html")


def earlier_upload_empty(ctx):
    upload_refused(ctx, "The file is empty.", size="0")


def earlier_upload_declared_too_big(ctx):
    with override_settings(VIDEO_MAX_BYTES=100):
        upload_refused(ctx, "The file is too big", size="101")


def earlier_upload_wrong_type_to_storage(ctx):
    owner = make_user()
    video, post = start_upload(actor=owner, channel=make_channel(owner=owner), size=5)
    assert post_to_storage(post, b"<html>", content_type="text/html").status_code == 403
    client = signed_in(owner)
    response = client.post(f"/studio/videos/{video.video_id}/uploaded/")
    assert response.status_code == 400 and "did not arrive" in response.json()["error"]
    assert fresh(video).status == VideoStatus.UPLOADING


def earlier_upload_over_limit_at_storage(ctx):
    owner = make_user()
    with override_settings(VIDEO_MAX_BYTES=100):
        video, post = start_upload(actor=owner, channel=make_channel(owner=owner), size=50)
        refused = post_to_storage(post, b"x" * 500)
        assert refused.status_code == 400 and "EntityTooLarge" in refused.text
        response = signed_in(owner).post(f"/studio/videos/{video.video_id}/uploaded/")
    assert response.status_code == 400 and "did not arrive" in response.json()["error"]
    assert fresh(video).status == VideoStatus.UPLOADING


SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def earlier_script_in_title(ctx):
    video = make_ready_video(title=SCRIPT)
    page = text_of(new_client().get(f"/watch/{video.video_id}/"))
    assert ESCAPED in page and SCRIPT not in page


def earlier_script_in_comment(ctx):
    video = make_ready_video()
    comment_post(user=make_user(), video_id=video.video_id, text=SCRIPT)
    page = text_of(new_client().get(f"/watch/{video.video_id}/"))
    assert ESCAPED in page and SCRIPT not in page


def earlier_script_in_channel_name(ctx):
    channel = make_channel(name=SCRIPT, description=SCRIPT)
    page = text_of(new_client().get(f"/c/{channel.handle}/"))
    assert ESCAPED in page and SCRIPT not in page


def earlier_script_in_display_name(ctx):
    video = make_ready_video()
    comment_post(user=make_user(display_name=SCRIPT), video_id=video.video_id, text="hello")
    page = text_of(new_client().get(f"/watch/{video.video_id}/"))
    assert ESCAPED in page and SCRIPT not in page


def processing_video():
    """A video a transcode job is working on (job id ``job-1``)."""
    owner = make_user()
    video, post = start_upload(actor=owner, channel=make_channel(owner=owner), size=5)
    assert post_to_storage(post, b"12345").status_code in (200, 201, 204)
    video_services.video_mark_uploaded(actor=owner, video=video)
    assert video_services.video_claim(video=fresh(video), worker_id="w", job_id="job-1")
    return fresh(video)


def failure_event(video, message="MediaConvert error"):
    return make_event(
        source="aws.mediaconvert",
        detail_type="MediaConvert Job State Change",
        detail={
            "jobId": video.job_id,
            "status": "ERROR",
            "errorMessage": message,
            "userMetadata": {"video_id": video.video_id},
        },
    )


def post_event(event, **headers):
    return new_client().post(
        "/hooks/aws/events/", json.dumps(event), content_type="application/json", **headers
    )


def earlier_webhook_forged_secret(ctx):
    video = processing_video()
    assert post_event(failure_event(video), HTTP_X_EVENTS_SECRET="forged").status_code == 403
    assert post_event(failure_event(video)).status_code == 403
    assert fresh(video).status == VideoStatus.PROCESSING


def earlier_webhook_replayed_event(ctx):
    video = processing_video()
    event = failure_event(video, "first")
    secret = {"HTTP_X_EVENTS_SECRET": settings.EVENTS_WEBHOOK_SECRET}
    results = [post_event(event, **secret).json()["result"] for _ in range(3)]
    assert results == ["applied", "duplicate", "duplicate"]
    after = fresh(video)
    assert after.status == VideoStatus.FAILED and after.status_reason == "first"


def earlier_webhook_garbage(ctx):
    secret = {"HTTP_X_EVENTS_SECRET": settings.EVENTS_WEBHOOK_SECRET}
    garbage = new_client().post(
        "/hooks/aws/events/", "{not json", content_type="application/json", **secret
    )
    assert garbage.status_code == 400
    unsupported = {
        "id": unique(),
        "source": "aws.s3",
        "detail-type": "Object Created",
        "detail": {},
    }
    assert post_event(unsupported, **secret).status_code == 400


def earlier_someone_elses_video_in_studio(ctx):
    client = signed_in(ctx.other)
    edit = client.post(
        f"/studio/videos/{ctx.video.video_id}/edit/",
        {"title": "Hijacked", "description": "", "visibility": "private"},
    )
    assert edit.status_code == 403
    assert client.post(f"/studio/videos/{ctx.video.video_id}/delete/").status_code == 403
    after = fresh(ctx.video)
    assert (after.title, after.visibility) == (ctx.video.title, ctx.video.visibility)


def earlier_weak_password(ctx):
    email = f"{unique()}@example.com"
    response = new_client().post(
        "/accounts/signup/", {"email": email, "display_name": "Ada", "password": "qwertyuiop"}
    )
    assert response.status_code == 200 and "This password is too common." in text_of(response)
    assert user_get_by_email(email) is None


def earlier_duplicate_handle(ctx):
    user = make_user()
    response = signed_in(user).post(
        "/studio/channels/new/",
        {"name": "Imposter", "handle": ctx.channel.handle.upper(), "description": ""},
    )
    assert response.status_code == 200 and "is taken" in text_of(response)
    assert channel_get_by_handle(ctx.channel.handle).channel_id == ctx.channel.channel_id


def earlier_bad_visibility(ctx):
    response = signed_in(ctx.owner).post(
        f"/studio/videos/{ctx.video.video_id}/edit/",
        {"title": "New", "description": "", "visibility": "everyone"},
    )
    assert response.status_code == 200 and "Select a valid choice" in text_of(response)
    assert fresh(ctx.video).title == ctx.video.title


def comment_refused(ctx, text, message):
    before = comment_count(ctx.video)
    client = signed_in(make_user())
    response = client.post(f"/watch/{ctx.video.video_id}/comments/", {"text": text})
    assert message in message_after(client, response)
    assert comment_count(ctx.video) == before


def earlier_comment_too_long(ctx):
    comment_refused(ctx, "c" * 2001, "Comment must be at most 2000 characters.")


def earlier_comment_blank(ctx):
    comment_refused(ctx, "   ", "Comment is required.")


def earlier_reply_to_a_reply(ctx):
    top = comment_post(user=make_user(), video_id=ctx.video.video_id, text="top")
    reply = comment_post(
        user=make_user(), video_id=ctx.video.video_id, text="reply", parent_id=top.comment_id
    )
    before = comment_count(ctx.video)
    client = signed_in(make_user())
    response = client.post(
        f"/watch/{ctx.video.video_id}/comments/", {"text": "deep", "parent_id": reply.comment_id}
    )
    assert "Replies go under the top-level comment." in message_after(client, response)
    assert comment_count(ctx.video) == before


def earlier_bad_notify_value(ctx):
    viewer = make_user()
    subscription_set(user=viewer, channel_id=ctx.channel.channel_id, subscribed=True)
    client = signed_in(viewer)
    response = client.post(f"/c/{ctx.channel.handle}/notifications/", {"notify": "sometimes"})
    assert "Choose all or none." in message_after(client, response)
    assert Subscription.get(viewer.user_id, ctx.channel.channel_id).notify == "all"


def earlier_report_bad_reason(ctx):
    video = make_ready_video()
    response = signed_in(make_user()).post(
        "/report/", {"type": "video", "id": video.video_id, "reason": "because"}
    )
    assert response.status_code == 200 and "Select a valid choice" in text_of(response)
    assert Report.count(f"video#{video.video_id}") == 0


def earlier_moderation_without_reason(ctx):
    video = make_ready_video()
    client = signed_in(ctx.moderator)
    response = client.post(
        "/moderation/actions/remove_video/", {"video_id": video.video_id, "reason": "  "}
    )
    assert "Reason is required." in message_after(client, response)
    assert fresh(video).status == VideoStatus.READY


def earlier_edit_deleted_comment(ctx):
    # A comment that is already deleted cannot be edited back to life.
    author = make_user()
    comment = comment_post(user=author, video_id=ctx.video.video_id, text="soon gone")
    client = signed_in(author)
    delete = client.post(f"/watch/{ctx.video.video_id}/comments/{comment.comment_id}/delete/")
    assert delete.status_code == 302
    edit = client.post(
        f"/watch/{ctx.video.video_id}/comments/{comment.comment_id}/edit/", {"text": "back"}
    )
    assert edit.status_code == 404
    stored = Comment.get(ctx.video.video_id, comment.comment_id, consistent_read=True)
    assert stored.deleted and stored.text == ""


EARLIER_CASES = {
    "upload-not-a-video-type": earlier_upload_not_a_video,
    "upload-empty-file": earlier_upload_empty,
    "upload-declared-too-big": earlier_upload_declared_too_big,
    "upload-wrong-type-refused-by-s3-policy": earlier_upload_wrong_type_to_storage,
    "upload-over-limit-refused-by-s3-policy": earlier_upload_over_limit_at_storage,
    "script-in-title": earlier_script_in_title,
    "script-in-comment": earlier_script_in_comment,
    "script-in-channel-name": earlier_script_in_channel_name,
    "script-in-display-name": earlier_script_in_display_name,
    "webhook-forged-secret": earlier_webhook_forged_secret,
    "webhook-replayed-event": earlier_webhook_replayed_event,
    "webhook-garbage-body": earlier_webhook_garbage,
    "someone-elses-video-in-studio": earlier_someone_elses_video_in_studio,
    "weak-password": earlier_weak_password,
    "duplicate-handle": earlier_duplicate_handle,
    "unknown-visibility": earlier_bad_visibility,
    "comment-too-long": earlier_comment_too_long,
    "comment-blank": earlier_comment_blank,
    "reply-to-a-reply": earlier_reply_to_a_reply,
    "notify-unknown-value": earlier_bad_notify_value,
    "report-unknown-reason": earlier_report_bad_reason,
    "moderation-without-reason": earlier_moderation_without_reason,
    "edit-deleted-comment": earlier_edit_deleted_comment,
}


@pytest.mark.parametrize("case", EARLIER_CASES.values(), ids=EARLIER_CASES.keys())
def test_earlier_bad_input_is_answered_clearly(ctx, case):
    """Each bad input from the earlier issues gets its message or 4xx; nothing stored changes."""
    case(ctx)


# --- Cross-site posts (no CSRF token) -----------------------------------------------------


def csrf_like(ctx):
    client = csrf_checked(ctx.other)
    return (
        lambda: client.post(f"/watch/{ctx.video.video_id}/like/", {"liked": "1"}),
        lambda: fresh(ctx.video).like_count,
    )


def csrf_comment(ctx):
    client = csrf_checked(ctx.other)
    return (
        lambda: client.post(f"/watch/{ctx.video.video_id}/comments/", {"text": "cross-site"}),
        lambda: fresh(ctx.video).comment_count,
    )


def csrf_video_edit(ctx):
    client = csrf_checked(ctx.owner)
    return (
        lambda: client.post(
            f"/studio/videos/{ctx.video.video_id}/edit/",
            {"title": "Cross-site", "description": "", "visibility": "private"},
        ),
        lambda: (fresh(ctx.video).title, fresh(ctx.video).visibility),
    )


def csrf_channel_edit(ctx):
    client = csrf_checked(ctx.owner)
    return (
        lambda: client.post(
            f"/studio/channels/{ctx.channel.channel_id}/edit/", {"name": "Cross-site"}
        ),
        lambda: channel_get(ctx.channel.channel_id).name,
    )


def csrf_report(ctx):
    client = csrf_checked(ctx.other)
    video = make_ready_video()
    return (
        lambda: client.post("/report/", {"type": "video", "id": video.video_id, "reason": "spam"}),
        lambda: Report.count(f"video#{video.video_id}"),
    )


def csrf_moderation(ctx):
    client = csrf_checked(ctx.moderator)
    subject = make_user()
    return (
        lambda: client.post(
            "/moderation/actions/ban_user/", {"user_id": subject.user_id, "reason": "x"}
        ),
        lambda: user_get(subject.user_id).status,
    )


def csrf_logout(ctx):
    client = csrf_checked(ctx.other)
    return (
        lambda: client.post("/accounts/logout/"),
        lambda: client.get("/studio/").status_code,  # 200 while still signed in
    )


CSRF_CASES = {
    "like": csrf_like,
    "comment": csrf_comment,
    "video-edit": csrf_video_edit,
    "channel-edit": csrf_channel_edit,
    "report": csrf_report,
    "moderation-ban": csrf_moderation,
    "logout": csrf_logout,
}


@pytest.mark.parametrize("case", CSRF_CASES.values(), ids=CSRF_CASES.keys())
def test_post_without_csrf_token_is_forbidden(ctx, case):
    """A POST without the CSRF token gets 403 with the "form expired" page; nothing changes."""
    send, state = case(ctx)
    before = state()
    response = send()
    assert response.status_code == 403
    assert "The form expired" in text_of(response)
    assert state() == before


CATALOGUE = {
    "over-long headers": len(HEADER_CASES),
    "impossible ids": len(IMPOSSIBLE_ID_CASES),
    "invisible characters": len(INVISIBLE_CASES),
    "visible unicode": len(VISIBLE_TEXT),
    "channel image keys": len(AVATAR_KEYS),
    "playlist names": len(PLAYLIST_NAMES),
    "report targets": len(REPORT_TARGETS),
    "open redirects": len(OPEN_REDIRECT_CASES),
    "earlier issues": len(EARLIER_CASES),
    "csrf": len(CSRF_CASES),
}


def test_report_bad_inputs_tried(capsys):
    """Prints how many bad inputs the catalogue tries, by kind."""
    total = sum(CATALOGUE.values())
    with capsys.disabled():
        kinds = ", ".join(f"{kind} {count}" for kind, count in CATALOGUE.items())
        print(f"\nbad inputs tried: {total} ({kinds})")
    assert total >= 100
