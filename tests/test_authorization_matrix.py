"""The authorization matrix: every named URL in the URLconf, requested as each role.

``MATRIX`` names every route of ``videoplatform.urls`` with how to build its URL and
form data from objects owned by ``owner``, the methods to try and the status each role
must get. Roles: anonymous, other (another signed-in user), owner, moderator, admin.
Routes that change something (every POST, and the few GETs that do) also say what must
stay as it was when the role is refused, and that it changes when the role is allowed.
Public, read-only routes carry the ``PUBLIC`` marker and get one anonymous GET.

A URL added to the URLconf without a MATRIX entry fails ``test_every_named_route_has_an_entry``.
The last test prints how many URL x role requests were checked.
"""

import itertools
import json
import secrets
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
import requests
from django.conf import settings
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from channels_app.accounts import user_set_role
from channels_app.images import channel_image_upload_start
from channels_app.models import Role
from channels_app.selectors import channel_get, channel_get_by_handle, user_get
from channels_app.signups import signup_request
from channels_app.tests.factories import mails_to, signup_token
from conftest import STRONG_PASSWORD, make_channel, make_user, unique
from live_app.models import LivestreamSession
from live_app.selectors import session_get
from live_app.services import live_session_create
from social_app import moderation
from social_app.models import Comment, Notification, Report, ReportTarget
from social_app.notifications import notification_create
from social_app.services import comment_post, subscription_set
from social_app.tests.factories import make_ready_video
from social_app.view_tokens import view_token_issue
from videoplatform.aws import s3_client
from videoplatform.events import make_event
from videos_app.models import Video, VideoStatus
from videos_app.selectors import video_get
from videos_app.tests.factories import post_to_storage, start_upload

ROLES = ("anonymous", "other", "owner", "moderator", "admin")

# An expected outcome: an HTTP status, or LOGIN (302 to the log-in page with next=).
# 302 itself means a redirect somewhere else (the page the action leads back to).
LOGIN = "login"

PUBLIC = "public"  # read-only and open to everyone: one anonymous GET
STUDIO = "studio"  # the creator's pages
MODERATION = "moderation"
ACCOUNT = "account"  # sign up, log in, log out
PERSONAL = "personal"  # the signed-in user's own lists and settings
ACTION = "action"  # a POST (or mutating GET) on someone's content


def by_role(*, anonymous=LOGIN, other, owner, staff=None, moderator=None, admin=None) -> dict:
    """The expected outcome per role; ``staff`` sets moderator and admin alike."""
    return {
        "anonymous": anonymous,
        "other": other,
        "owner": owner,
        "moderator": staff if moderator is None else moderator,
        "admin": staff if admin is None else admin,
    }


def everyone_signed_in(status) -> dict:
    return by_role(other=status, owner=status, staff=status)


def owner_or_staff(status) -> dict:
    return by_role(other=403, owner=status, staff=status)


def owner_only(status) -> dict:
    return by_role(other=403, owner=status, staff=403)


def staff_only(status) -> dict:
    return by_role(other=403, owner=403, staff=status)


@dataclass
class Target:
    """One request's URL kwargs and body, and what it may or may not change."""

    kwargs: dict = field(default_factory=dict)
    data: dict | None = None
    json_body: str | None = None
    # Read after the request; compared with its value before it.
    state: Callable[[], object] | None = None
    # Text of the owner's that must not appear in anyone else's 200 page.
    private_text: tuple[str, ...] = ()


@dataclass(frozen=True)
class Route:
    kind: str
    build: Callable  # (world, role, variant) -> Target
    get: dict | None = None  # role -> expected outcome of a GET
    post: dict | None = None  # role -> expected outcome of a POST
    # Roles whose request must change ``state``; every other role must leave it as it was.
    # Default: the roles whose expected outcome is a 200 or a 302 that is not LOGIN.
    changes: frozenset | None = None
    get_mutates: bool = False  # the GET itself changes state (checked like a POST)
    variants: tuple[str, ...] = ("",)
    # Expected POST outcomes of the variants that differ from ``post``.
    variant_post: dict | None = None
    # Why a POST here has no object to compare (log in and out change only the session).
    stateless: str = ""
    # A route without POST answers POST with 405 unless it names what it answers here
    # (pages whose view has no method decorator render the same page for any method).
    post_answer: int = 405

    def expected(self, method: str, variant: str = "") -> dict | None:
        if method == "GET":
            return self.get
        return (self.variant_post or {}).get(variant, self.post)


def public(build, status: int = 200, *, post_answer: int = 405) -> Route:
    return Route(kind=PUBLIC, build=build, get={"anonymous": status}, post_answer=post_answer)


# --- The objects the matrix points at ---------------------------------------------------


@dataclass
class World:
    users: dict  # role -> User (anonymous excluded)
    reporter: object
    commenter: object
    channel: object
    video: object
    comment: object
    session: object
    notification: object
    report_key: str

    @property
    def owner(self):
        return self.users["owner"]

    @property
    def moderator(self):
        return self.users["moderator"]


_ips = itertools.count(secrets.randbelow(2**20))


def client_as(world: World, role: str) -> Client:
    """A fresh client from its own address (per-IP limits never meet), signed in as ``role``."""
    n = next(_ips)
    client = Client(REMOTE_ADDR=f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}")
    if role != "anonymous":
        user = world.users[role]
        response = client.post(
            "/accounts/login/", {"email": user.email, "password": STRONG_PASSWORD}
        )
        assert response.status_code == 302, f"{role} could not log in"
    return client


@pytest.fixture(scope="module")
def world():
    """Users in every role, and owner's channel, video, comment, live session and notification."""
    # The matrix creates dozens of uploads and comments for one owner within a minute;
    # those limits are tested in their own modules, not here.
    with override_settings(
        UPLOADS_PER_HOUR=10_000, COMMENTS_PER_MINUTE=10_000, REPORTS_PER_HOUR=10_000
    ):
        users = {
            "other": make_user(display_name="Other"),
            "owner": make_user(display_name="Owner"),
            "moderator": make_user(display_name="Moderator"),
            "admin": make_user(display_name="Admin"),
        }
        user_set_role(user=users["moderator"], role=Role.MODERATOR, granted=True)
        user_set_role(user=users["admin"], role=Role.ADMIN, granted=True)
        owner = users["owner"]
        channel = make_channel(owner=owner, name="Owner Channel")
        video = make_ready_video(owner=owner, channel=channel, title="Owner's video")
        # The master playlist, so the public playlist URL answers 200 rather than 404.
        s3_client().put_object(
            Bucket=settings.S3_MEDIA_BUCKET,
            Key=video.playlist_key,
            Body=b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000\n360p/index.m3u8\n",
        )
        comment = comment_post(user=owner, video_id=video.video_id, text="Owner's comment")
        session = live_session_create(
            actor=owner, channel_id=channel.channel_id, title="Owner live"
        )
        notification = notification_create(
            user_id=owner.user_id,
            kind="comment",
            text="Owner-only notification text",
            link=f"/watch/{video.video_id}/",
        )
        reporter = make_user(display_name="Reporter")
        target = moderation.report_create(
            user=reporter,
            target_type="comment",
            target_id=comment.comment_id,
            video_id=video.video_id,
            reason="spam",
        )
        yield World(
            users=users,
            reporter=reporter,
            commenter=make_user(display_name="Commenter"),
            channel=channel,
            video=video,
            comment=comment,
            session=session,
            notification=notification,
            report_key=target.target_key,
        )


# --- Fresh objects for requests that destroy or consume what they act on -------------------


def fresh_uploading_video(world: World):
    """A video waiting in ``uploading`` whose file did arrive in storage."""
    video, post = start_upload(
        actor=world.owner, channel=world.channel, title="Fresh upload", size=5
    )
    assert post_to_storage(post, b"12345").status_code in (200, 201, 204)
    return video


def fresh_failed_video(world: World):
    video = fresh_uploading_video(world)
    video.update(
        actions=[Video.status.set(str(VideoStatus.FAILED)), Video.status_reason.set("test")]
    )
    return video


def fresh_ready_video(world: World):
    return make_ready_video(owner=world.owner, channel=world.channel, title="Fresh ready video")


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


def uploaded_avatar_key(world: World) -> str:
    """An avatar the owner's browser has just sent to storage (not yet attached)."""
    post = channel_image_upload_start(
        actor=world.owner, channel=world.channel, kind="avatar", content_type="image/png"
    )
    response = requests.post(
        post.url, data=post.fields, files={"file": ("a.png", png_bytes(), "image/png")}, timeout=10
    )
    assert response.status_code in (200, 201, 204), response.text
    return post.key


# --- State readers ------------------------------------------------------------------------


def video_state(video_id: str):
    def read():
        video = video_get(video_id, consistent=True)
        return None if video is None else (video.status, video.title, video.visibility)

    return read


def comment_state(video_id: str, comment_id: str):
    def read():
        item = Comment.get(video_id, comment_id, consistent_read=True)
        return item.deleted, item.text

    return read


def notification_read(user_id: str, notification_id: str):
    return lambda: Notification.get(user_id, notification_id, consistent_read=True).read


def user_state(user_id: str):
    def read():
        user = user_get(user_id)
        return user.status, sorted(user.roles or ())

    return read


def channel_videos(channel_id: str):
    return lambda: sorted(v.video_id for v in Video.channel_index.query(channel_id))


# --- Builders: (world, role, variant) -> Target --------------------------------------------


def no_kwargs(world, role, variant):
    return Target()


def video_kwargs(world, role, variant):
    return Target(kwargs={"video_id": world.video.video_id})


def channel_page_kwargs(world, role, variant):
    return Target(kwargs={"handle": world.channel.handle})


def stream_kwargs(world, role, variant):
    return Target(kwargs={"stream_id": world.session.stream_id})


def build_signup(world, role, variant):
    email = f"{unique()}@example.com"
    return Target(
        data={"email": email, "display_name": "New", "password": STRONG_PASSWORD},
        # The form only mails a link; the account comes from following it.
        state=lambda: (_user_exists(email), len(mails_to(email))),
    )


def build_signup_confirm(world, role, variant):
    """A fresh pending sign-up of its own (a link works once)."""
    email = f"{unique()}@example.com"
    signup_request(email=email, display_name="New", password=STRONG_PASSWORD, ip=unique("ip-"))
    return Target(kwargs={"token": signup_token(email)}, state=lambda: _user_exists(email))


def _user_exists(email: str) -> bool:
    from channels_app.selectors import user_get_by_email

    return user_get_by_email(email) is not None


def build_login(world, role, variant):
    user = world.users["other" if role == "anonymous" else role]
    return Target(data={"email": user.email, "password": STRONG_PASSWORD})


def build_studio(world, role, variant):
    return Target(private_text=(world.channel.handle,))


def build_channel_create(world, role, variant):
    handle = unique("mx")
    return Target(
        data={"name": "New channel", "handle": handle, "description": ""},
        state=lambda: channel_get_by_handle(handle) is not None,
    )


def build_channel_edit(world, role, variant):
    channel_id = world.channel.channel_id
    return Target(
        kwargs={"channel_id": channel_id},
        data={"name": f"Renamed by {role}", "description": f"Edited by {role}"},
        state=lambda: (channel_get(channel_id).name, channel_get(channel_id).description),
    )


def build_image_start(world, role, variant):
    channel_id = world.channel.channel_id
    return Target(
        kwargs={"channel_id": channel_id, "kind": "avatar"},
        data={"content_type": "image/png"},
        state=lambda: channel_get(channel_id).avatar_key,
    )


def build_image_complete(world, role, variant):
    channel_id = world.channel.channel_id
    return Target(
        kwargs={"channel_id": channel_id, "kind": "avatar"},
        data={"key": uploaded_avatar_key(world)},
        state=lambda: channel_get(channel_id).avatar_key,
    )


def build_upload(world, role, variant):
    channel_id = world.channel.channel_id
    return Target(
        data={
            "channel_id": channel_id,
            "title": f"Upload by {role}",
            "description": "",
            "visibility": "public",
            "size": "1000",
            "content_type": "video/mp4",
        },
        state=channel_videos(channel_id),
    )


def build_studio_videos(world, role, variant):
    return Target(private_text=(world.video.video_id,))


def build_upload_parts(world, role, variant):
    from django.test import override_settings

    with override_settings(UPLOAD_MULTIPART_MIN_BYTES=1, UPLOAD_PART_BYTES=5 * 1024 * 1024):
        video, _ = start_upload(
            actor=world.owner, channel=world.channel, title="Large upload", size=11 * 1024**2
        )
    return Target(
        kwargs={"video_id": video.video_id},
        data={"numbers": "1"},
        state=video_state(video.video_id),
    )


def build_uploaded(world, role, variant):
    video = fresh_uploading_video(world)
    return Target(kwargs={"video_id": video.video_id}, state=video_state(video.video_id))


def build_video_edit(world, role, variant):
    video_id = world.video.video_id
    return Target(
        kwargs={"video_id": video_id},
        data={"title": f"Edited by {role}", "description": "", "visibility": "public"},
        state=video_state(video_id),
    )


def build_fresh_ready(world, role, variant):
    video = fresh_ready_video(world)
    return Target(kwargs={"video_id": video.video_id}, state=video_state(video.video_id))


def build_retry(world, role, variant):
    video = fresh_failed_video(world)
    return Target(kwargs={"video_id": video.video_id}, state=video_state(video.video_id))


def build_playlist(world, role, variant):
    return Target(kwargs={"video_id": world.video.video_id, "name": "master.m3u8"})


def build_like(world, role, variant):
    video_id = world.video.video_id
    return Target(
        kwargs={"video_id": video_id},
        data={"liked": "1"},
        state=lambda: video_get(video_id, consistent=True, with_counts=True).like_count,
    )


def build_view(world, role, variant):
    video_id = world.video.video_id
    return Target(
        kwargs={"video_id": video_id},
        # The token a watch page gives its player (anonymous views need one).
        data={"t": view_token_issue(video_id=video_id)},
        state=lambda: video_get(video_id, consistent=True, with_counts=True).view_count,
    )


def build_comment_create(world, role, variant):
    video_id = world.video.video_id
    return Target(
        kwargs={"video_id": video_id},
        data={"text": f"Comment by {role}"},
        state=lambda: video_get(video_id, consistent=True, with_counts=True).comment_count,
    )


def build_comment_edit(world, role, variant):
    video_id, comment_id = world.video.video_id, world.comment.comment_id
    return Target(
        kwargs={"video_id": video_id, "comment_id": comment_id},
        data={"text": f"Edited by {role}"},
        state=comment_state(video_id, comment_id),
    )


def build_comment_delete(world, role, variant):
    video_id = world.video.video_id
    comment = comment_post(user=world.owner, video_id=video_id, text="Owner's comment to delete")
    return Target(
        kwargs={"video_id": video_id, "comment_id": comment.comment_id},
        state=comment_state(video_id, comment.comment_id),
    )


def build_subscribe(world, role, variant):
    channel_id = world.channel.channel_id
    return Target(
        kwargs={"handle": world.channel.handle},
        data={"subscribed": "1"},
        state=lambda: channel_get(channel_id, with_counts=True).subscriber_count,
    )


def build_subscription_notify(world, role, variant):
    from social_app.models import Subscription

    channel_id = world.channel.channel_id
    user = world.users.get(role)
    if role not in ("anonymous", "owner"):
        subscription_set(user=user, channel_id=channel_id, subscribed=True)

    def read():
        if user is None:
            return None
        try:
            return Subscription.get(user.user_id, channel_id, consistent_read=True).notify
        except Subscription.DoesNotExist:
            return None

    return Target(kwargs={"handle": world.channel.handle}, data={"notify": "none"}, state=read)


def build_notifications(world, role, variant):
    return Target(private_text=(world.notification.text,))


def build_fresh_notification(world, role, variant):
    owner_id = world.owner.user_id
    item = notification_create(
        user_id=owner_id,
        kind="comment",
        text="Fresh owner notification",
        link=f"/watch/{world.video.video_id}/",
    )
    return Target(
        kwargs={"notification_id": item.notification_id},
        state=notification_read(owner_id, item.notification_id),
    )


def build_read_all(world, role, variant):
    target = build_fresh_notification(world, role, variant)
    return Target(state=target.state)


def build_report(world, role, variant):
    video = fresh_ready_video(world)
    key = f"video#{video.video_id}"
    data = {"type": "video", "id": video.video_id, "reason": "spam", "note": f"from {role}"}
    return Target(data=data, state=lambda: Report.count(key))


def build_report_get(world, role, variant):
    # GET /report/?type=...&id=... carries the target in the query string.
    return Target(data={"type": "video", "id": world.video.video_id})


def build_moderation_target(world, role, variant):
    return Target(kwargs={"target_key": world.report_key})


def build_moderation_user(world, role, variant):
    return Target(kwargs={"user_id": world.owner.user_id})


def build_moderation_act(world, role, variant):
    """Each action on an object of its own, so an allowed role's action cannot leak into
    the next request."""
    reason = {"reason": f"Matrix check by {role}"}
    if variant == "dismiss":
        video = fresh_ready_video(world)
        target = moderation.report_create(
            user=world.reporter, target_type="video", target_id=video.video_id, reason="spam"
        )
        key = target.target_key
        return Target(
            kwargs={"action": variant},
            data={"target_key": key, **reason},
            state=lambda: ReportTarget.get(key, consistent_read=True).status,
        )
    if variant in ("remove_video", "restore_video"):
        video = fresh_ready_video(world)
        if variant == "restore_video":
            moderation.video_remove(
                moderator=world.moderator, video_id=video.video_id, reason="setup"
            )
        return Target(
            kwargs={"action": variant},
            data={"video_id": video.video_id, **reason},
            state=video_state(video.video_id),
        )
    if variant == "remove_comment":
        video_id = world.video.video_id
        comment = comment_post(user=world.commenter, video_id=video_id, text="A rude comment")
        return Target(
            kwargs={"action": variant},
            data={"video_id": video_id, "comment_id": comment.comment_id, **reason},
            state=comment_state(video_id, comment.comment_id),
        )
    subject = make_user(display_name="Subject")
    if variant == "unban_user":
        moderation.user_ban(moderator=world.moderator, user_id=subject.user_id, reason="setup")
    if variant == "revoke_moderator":
        user_set_role(user=subject, role=Role.MODERATOR, granted=True)
    return Target(
        kwargs={"action": variant},
        data={"user_id": subject.user_id, **reason},
        state=user_state(subject.user_id),
    )


def build_studio_live(world, role, variant):
    channel_id = world.channel.channel_id
    return Target(
        data={"channel_id": channel_id, "title": f"Live by {role}"},
        state=lambda: sorted(
            s.stream_id for s in LivestreamSession.channel_index.query(channel_id)
        ),
        private_text=(world.session.stream_id,),
    )


def build_studio_live_session(world, role, variant):
    return Target(
        kwargs={"stream_id": world.session.stream_id},
        private_text=(session_get(world.session.stream_id, consistent=True).stream_key,),
    )


def build_rotate_key(world, role, variant):
    stream_id = world.session.stream_id
    return Target(
        kwargs={"stream_id": stream_id},
        state=lambda: session_get(stream_id, consistent=True).stream_key,
    )


def build_end_stream(world, role, variant):
    """A session of its own on a channel of its own: ending it touches nothing shared."""
    owner = world.users["owner"]
    channel = make_channel(owner=owner)
    session = live_session_create(actor=owner, channel_id=channel.channel_id, title="To end")
    stream_id = session.stream_id
    return Target(
        kwargs={"stream_id": stream_id},
        state=lambda: session_get(stream_id, consistent=True).status,
    )


def build_theme(world, role, variant):
    """The owner's theme: a choice changes only the chooser's own account (or cookie)."""
    owner_id = world.users["owner"].user_id
    return Target(data={"theme": "dark"}, state=lambda: user_get(owner_id).theme)


def build_live_playlist(world, role, variant):
    return Target(kwargs={"stream_id": world.session.stream_id, "name": "index.m3u8"})


def build_aws_event(world, role, variant):
    """A forged "job failed" event for the owner's video, without the shared secret."""
    video_id = world.video.video_id
    event = make_event(
        source="aws.mediaconvert",
        detail_type="MediaConvert Job State Change",
        detail={
            "jobId": "job-ready",
            "status": "ERROR",
            "errorMessage": "forged",
            "userMetadata": {"video_id": video_id},
        },
    )
    return Target(json_body=json.dumps(event), state=video_state(video_id))


# --- The matrix ---------------------------------------------------------------------------

MODERATION_ACTIONS = (
    "dismiss",
    "remove_video",
    "restore_video",
    "remove_comment",
    "ban_user",
    "unban_user",
    "grant_moderator",
    "revoke_moderator",
)

MATRIX: dict[str, Route] = {
    # videoplatform
    "healthz": public(no_kwargs),
    "readyz": public(no_kwargs),
    "favicon": public(no_kwargs, 302),
    "aws_events": Route(
        # Authenticated by the shared-secret header only: no browser session gets in.
        kind=ACTION,
        build=build_aws_event,
        post=by_role(anonymous=403, other=403, owner=403, staff=403),
    ),
    # channels_app
    "signup": Route(
        kind=ACCOUNT,
        build=build_signup,
        get=by_role(anonymous=200, other=200, owner=200, staff=200),
        post=by_role(anonymous=200, other=200, owner=200, staff=200),
    ),
    "signup_confirm": Route(
        # The GET only shows the button (checked to change nothing in test_signup.py).
        kind=ACCOUNT,
        build=build_signup_confirm,
        get=by_role(anonymous=200, other=200, owner=200, staff=200),
        post=by_role(anonymous=302, other=302, owner=302, staff=302),
    ),
    "login": Route(
        kind=ACCOUNT,
        build=build_login,
        stateless="changes only the requester's session",
        get=by_role(anonymous=200, other=200, owner=200, staff=200),
        post=by_role(anonymous=302, other=302, owner=302, staff=302),
    ),
    "logout": Route(
        kind=ACCOUNT,
        build=no_kwargs,
        stateless="changes only the requester's session",
        post=by_role(anonymous=302, other=302, owner=302, staff=302),
    ),
    "cognito_callback": public(no_kwargs, 302),  # local sign-in: back home with a message
    "studio": Route(
        kind=STUDIO,
        build=build_studio,
        get=everyone_signed_in(200),
        post_answer=200,
    ),
    "channel_create": Route(
        kind=STUDIO,
        build=build_channel_create,
        get=everyone_signed_in(200),
        post=everyone_signed_in(302),
    ),
    "channel_edit": Route(
        kind=STUDIO,
        build=build_channel_edit,
        get=owner_or_staff(200),
        post=owner_or_staff(302),
    ),
    "channel_image_start": Route(
        # Only hands out an upload form: allowed or not, the channel stays as it was.
        kind=STUDIO,
        build=build_image_start,
        post=owner_or_staff(200),
        changes=frozenset(),
    ),
    "channel_image_complete": Route(
        kind=STUDIO,
        build=build_image_complete,
        post=owner_or_staff(200),
    ),
    "channel_page": public(channel_page_kwargs, post_answer=200),
    # videos_app
    "home": public(no_kwargs, post_answer=200),
    "search": public(no_kwargs),
    "search_suggest": public(no_kwargs),
    "upload": Route(
        # Another user's channel is not among the form's choices: 400 with a message.
        kind=STUDIO,
        build=build_upload,
        get=everyone_signed_in(200),
        post=by_role(other=400, owner=200, staff=400),
    ),
    "studio_videos": Route(kind=STUDIO, build=build_studio_videos, get=everyone_signed_in(200)),
    # Staff manage videos but never upload or cancel an upload in the owner's name.
    "video_uploaded": Route(kind=STUDIO, build=build_uploaded, post=owner_only(200)),
    "video_cancel": Route(kind=STUDIO, build=build_uploaded, post=owner_only(200)),
    "video_upload_parts": Route(
        # Signs part URLs for the owner's upload; stores nothing.
        kind=STUDIO,
        build=build_upload_parts,
        post=owner_only(200),
        changes=frozenset(),
    ),
    "video_status": Route(kind=STUDIO, build=video_kwargs, get=owner_or_staff(200)),
    "video_edit": Route(
        kind=STUDIO,
        build=build_video_edit,
        get=owner_or_staff(200),
        post=owner_or_staff(302),
    ),
    "video_delete": Route(kind=STUDIO, build=build_fresh_ready, post=owner_or_staff(302)),
    "video_retry": Route(kind=STUDIO, build=build_retry, post=owner_or_staff(302)),
    "watch": public(video_kwargs),
    "playlist": public(build_playlist),
    # Renews the player's CDN cookies (none without PLAYBACK_SIGNED_COOKIES): no content.
    "playback_grant": public(video_kwargs, 204),
    # The processing notice's poll; for a video that plays, back to its watch page.
    "processing_state": public(video_kwargs, 302),
    # social_app
    "like": Route(
        kind=ACTION,
        build=build_like,
        post=everyone_signed_in(302),
    ),
    "view": Route(
        # Anyone watching counts once, signed in or not.
        kind=ACTION,
        build=build_view,
        post=by_role(anonymous=200, other=200, owner=200, staff=200),
    ),
    "comment_create": Route(
        kind=ACTION,
        build=build_comment_create,
        post=everyone_signed_in(302),
    ),
    "comments_more": public(video_kwargs),
    "comment_edit": Route(
        # Only the author edits a comment; staff may delete it, not put words in it.
        kind=ACTION,
        build=build_comment_edit,
        post=by_role(other=403, owner=302, staff=403),
    ),
    "comment_delete": Route(
        kind=ACTION,
        build=build_comment_delete,
        post=owner_or_staff(302),
    ),
    "subscribe": Route(
        # The owner is sent back with "You cannot subscribe to your own channel."
        kind=ACTION,
        build=build_subscribe,
        post=everyone_signed_in(302),
        changes=frozenset({"other", "moderator", "admin"}),
    ),
    "subscription_notify": Route(
        # Each user sets their own subscription; the owner has none on their own channel.
        kind=PERSONAL,
        build=build_subscription_notify,
        post=everyone_signed_in(302),
        changes=frozenset({"other", "moderator", "admin"}),
    ),
    "subscription_feed": Route(kind=PERSONAL, build=no_kwargs, get=everyone_signed_in(200)),
    "liked_videos": Route(kind=PERSONAL, build=no_kwargs, get=everyone_signed_in(200)),
    "notifications": Route(
        kind=PERSONAL,
        build=build_notifications,
        get=everyone_signed_in(200),
    ),
    "bell": Route(kind=PERSONAL, build=no_kwargs, get=everyone_signed_in(200)),
    "theme_set": Route(
        # A visitor's choice is only their cookie (a GET form); an account's is a POST.
        kind=PERSONAL,
        build=build_theme,
        get=by_role(anonymous=302, other=405, owner=405, staff=405),
        post=by_role(anonymous=302, other=302, owner=302, staff=302),
        changes=frozenset({"owner"}),
    ),
    # Only the requester's language cookie; without a language it is refused.
    "language_set": public(no_kwargs, 400),
    "notifications_read_all": Route(
        # Marks the requester's own notifications: the owner's stay unread for anyone else.
        kind=PERSONAL,
        build=build_read_all,
        post=everyone_signed_in(302),
        changes=frozenset({"owner"}),
    ),
    "notification_open": Route(
        kind=PERSONAL,
        build=build_fresh_notification,
        get=by_role(other=404, owner=302, staff=404),
        get_mutates=True,
    ),
    "report": Route(
        # Reporting your own content is refused with a message (400).
        kind=ACTION,
        build=build_report,
        get=everyone_signed_in(200),
        post=by_role(other=302, owner=400, staff=302),
    ),
    "moderation_queue": Route(kind=MODERATION, build=no_kwargs, get=staff_only(200)),
    "moderation_audit": Route(kind=MODERATION, build=no_kwargs, get=staff_only(200)),
    "moderation_target": Route(kind=MODERATION, build=build_moderation_target, get=staff_only(200)),
    "moderation_user": Route(kind=MODERATION, build=build_moderation_user, get=staff_only(200)),
    "moderation_act": Route(
        kind=MODERATION,
        build=build_moderation_act,
        post=staff_only(302),
        variants=MODERATION_ACTIONS,
        # Only admins hand out or take back the moderator role.
        variant_post={
            "grant_moderator": by_role(other=403, owner=403, moderator=403, admin=302),
            "revoke_moderator": by_role(other=403, owner=403, moderator=403, admin=302),
        },
    ),
    # live_app
    "studio_live": Route(
        # Another user's channel is not among the form's choices: the form comes back.
        kind=STUDIO,
        build=build_studio_live,
        get=everyone_signed_in(200),
        post=by_role(other=200, owner=302, staff=200),
        changes=frozenset({"owner"}),
    ),
    "studio_live_session": Route(
        # The stream key is a secret shown to its owner only, not to staff either.
        kind=STUDIO,
        build=build_studio_live_session,
        get=by_role(other=403, owner=200, staff=403),
    ),
    "rotate_key": Route(
        kind=STUDIO,
        build=build_rotate_key,
        post=by_role(other=403, owner=302, staff=403),
    ),
    "studio_live_state": Route(kind=STUDIO, build=stream_kwargs, get=owner_only(200)),
    "end_stream": Route(
        kind=STUDIO,
        build=build_end_stream,
        post=by_role(other=403, owner=302, staff=403),
    ),
    "live_page": public(stream_kwargs),
    "live_state": public(stream_kwargs),
    # Nothing is streamed yet: an offline session has no playlist.
    "live_playlist": public(build_live_playlist, 404),
}

# The report page reads its target from the query string on GET.
GET_QUERY_BUILDERS = {"report": build_report_get}


# --- Walking the URLconf ------------------------------------------------------------------


def url_routes(patterns=None, prefix: str = "") -> list[tuple[str | None, str]]:
    """Every route in the URLconf as (name or None, full pattern), includes walked."""
    found: list[tuple[str | None, str]] = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            found += url_routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            found.append((pattern.name, prefix + str(pattern.pattern)))
    return found


def named_routes() -> dict[str, str]:
    return {name: route for name, route in url_routes() if name}


@dataclass(frozen=True)
class Case:
    name: str
    variant: str
    method: str
    role: str

    @property
    def id(self) -> str:
        variant = f"[{self.variant}]" if self.variant else ""
        return f"{self.name}{variant}-{self.method}-{self.role}"


def matrix_cases() -> list[Case]:
    cases = []
    for name, route in MATRIX.items():
        for variant in route.variants:
            for method in ("GET", "POST"):
                for role in route.expected(method, variant) or ():
                    cases.append(Case(name, variant, method, role))
    return cases


CASES = matrix_cases()


def test_every_named_route_has_an_entry():
    """Every URL in the URLconf is named and has a MATRIX entry; every entry is a real URL."""
    unnamed = [route for name, route in url_routes() if not name]
    assert not unnamed, "URLs without a name cannot be in the MATRIX: " + ", ".join(unnamed)
    routes = named_routes()
    missing = sorted(set(routes) - set(MATRIX))
    stale = sorted(set(MATRIX) - set(routes))
    assert not missing, "URLs without an authorization MATRIX entry: " + ", ".join(
        f"{name} ({routes[name]})" for name in missing
    )
    assert not stale, "MATRIX entries for URLs that no longer exist: " + ", ".join(stale)


def test_every_entry_is_checked_as_every_role_unless_public():
    """Entries name all five roles; public ones (never studio/moderation) one anonymous GET."""
    routes = named_routes()
    for name, route in MATRIX.items():
        if route.kind == PUBLIC:
            assert route.get == {"anonymous": route.get["anonymous"]} and route.post is None, name
            assert not routes[name].startswith(("studio/", "moderation/")), name
            continue
        assert route.get or route.post, name
        outcomes = [route.get, *(route.expected("POST", variant) for variant in route.variants)]
        for expected in filter(None, outcomes):
            assert set(expected) == set(ROLES) and None not in expected.values(), name


def expected_outcome(response, expected, where: str) -> None:
    location = response.get("Location", "")
    if expected == LOGIN:
        assert response.status_code == 302 and location.startswith(settings.LOGIN_URL + "?next="), (
            f"{where}: expected a redirect to log in, got {response.status_code} {location}"
        )
    elif expected == 302:
        assert response.status_code == 302 and not location.startswith(settings.LOGIN_URL), (
            f"{where}: expected a redirect, got {response.status_code} {location}"
        )
    else:
        assert response.status_code == expected, (
            f"{where}: expected {expected}, got {response.status_code}: {response.content[:300]!r}"
        )


def allowed(expected) -> bool:
    return expected in (200, 302)


def send(client: Client, method: str, url: str, target: Target):
    if method == "GET":
        return client.get(url, target.data or {})
    if target.json_body is not None:
        return client.post(url, target.json_body, content_type="application/json")
    return client.post(url, target.data or {})


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_route_answers_each_role_as_expected(world, case):
    """Each role gets its status; refused changes leave objects as they were, allowed ones not."""
    route = MATRIX[case.name]
    build = GET_QUERY_BUILDERS.get(case.name, route.build) if case.method == "GET" else route.build
    target = build(world, case.role, case.variant)
    outcomes = route.expected(case.method, case.variant)
    expected = outcomes[case.role]
    url = reverse(case.name, kwargs=target.kwargs)
    checks_state = target.state is not None and (case.method == "POST" or route.get_mutates)
    before = target.state() if checks_state else None
    if case.method == "POST":
        assert target.state is not None or route.stateless, f"{case.name}: say what must not change"

    client = client_as(world, case.role)
    response = send(client, case.method, url, target)

    where = f"{case.method} {url} as {case.role}"
    expected_outcome(response, expected, where)
    if checks_state:
        after = target.state()
        changes = (
            route.changes
            if route.changes is not None
            else {role for role, outcome in outcomes.items() if allowed(outcome)}
        )
        if case.role in changes:
            assert after != before, f"{where}: allowed, but nothing changed ({before!r})"
        else:
            assert after == before, f"{where}: refused, yet {before!r} became {after!r}"
    if case.role != "owner" and response.status_code == 200:
        body = response.content.decode(errors="replace")
        for text in target.private_text:
            assert text not in body, f"{where}: shows the owner's private {text!r}"


GET_ONLY = [name for name, route in MATRIX.items() if route.post is None]


@pytest.mark.parametrize("name", GET_ONLY)
def test_route_without_post_entry_refuses_post(world, name):
    """A route the matrix lists without POST answers a POST with 405 (or its declared answer)."""
    route = MATRIX[name]
    # A role the GET lets in, so a 405 is about the method, not the role.
    role = next((role for role in ROLES if allowed(route.get.get(role))), "anonymous")
    target = route.build(world, role, route.variants[0])
    response = client_as(world, role).post(reverse(name, kwargs=target.kwargs), {})
    assert response.status_code == route.post_answer, (name, role, response.status_code)


def test_report_urls_times_roles(capsys):
    """Prints how many URL x role requests the matrix checks (and fails if it shrinks)."""
    routes = {case.name for case in CASES}
    with capsys.disabled():
        print(
            f"\nauthorization matrix: {len(CASES)} URL x role requests covered "
            f"({len(routes)} named routes, {len(ROLES)} roles)"
        )
    assert routes == set(MATRIX)
    assert len(CASES) >= 200
