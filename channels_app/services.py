"""Writes for users and channels. Views call these; they raise ApplicationError."""

import logging
import re
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from pynamodb.exceptions import TransactWriteError, UpdateError

from channels_app.models import Channel, Role, User, UserStatus
from channels_app.selectors import user_get, user_get_by_email
from videoplatform import storage
from videoplatform.dynamodb import condition_failed, new_id, now_s, transaction
from videoplatform.errors import ApplicationError, Conflict, PermissionDenied, RateLimited
from videoplatform.models import UniqueClaim
from videoplatform.ratelimit import counter_increment, counter_value, enforce, window_for
from videoplatform.text import clean_text

logger = logging.getLogger(__name__)

DISPLAY_NAME_MAX = 50
CHANNEL_NAME_MAX = 60
DESCRIPTION_MAX = 1000
HANDLE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{2,29}$")
IMAGE_KINDS = {"avatar": "AVATAR_MAX_BYTES", "banner": "BANNER_MAX_BYTES"}
IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp", "image/gif"}

# A dummy hash checked when the account does not exist, so a wrong email and a wrong
# password take the same time.
_DUMMY_HASH = None


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def email_claim(email: str) -> str:
    return f"email#{email}"


def handle_claim(handle: str) -> str:
    return f"handle#{handle}"


# --- Users ---------------------------------------------------------------------------


def user_sign_up(*, email: str, display_name: str, password: str, ip: str | None = None) -> User:
    """Create a local account; the email is claimed in the same transaction."""
    if ip:
        enforce(
            f"signup#ip#{ip}",
            limit=settings.SIGNUPS_PER_IP_PER_HOUR,
            window_s=3600,
            message="Too many sign-ups from your network. Try again in an hour.",
        )
    email = normalize_email(email)
    try:
        validate_email(email)
    except ValidationError:
        raise ApplicationError("Enter a valid email address.", field="email") from None
    if len(email) > 254:
        raise ApplicationError("Enter a valid email address.", field="email")
    display_name = clean_text(
        display_name,
        field="display_name",
        label="Display name",
        max_length=DISPLAY_NAME_MAX,
        required=True,
    )
    try:
        validate_password(password, user=SimpleNamespace(email=email, display_name=display_name))
    except ValidationError as error:
        raise ApplicationError(" ".join(error.messages), field="password") from None

    user = User(
        new_id(),
        email=email,
        display_name=display_name,
        password_hash=make_password(password),
        roles=set(),
        status=UserStatus.ACTIVE,
        created_at=now_s(),
    )
    _create_user_with_claim(user)
    return user


def _create_user_with_claim(user: User) -> None:
    claim = UniqueClaim(email_claim(user.email), owner_id=user.user_id)
    try:
        with transaction() as tx:
            tx.save(claim, condition=UniqueClaim.claim_id.does_not_exist())
            tx.save(user, condition=User.user_id.does_not_exist())
    except TransactWriteError as error:
        if condition_failed(error):
            raise Conflict("An account with this email already exists.", field="email") from None
        raise


def _login_windows(email: str, ip: str):
    window_s = settings.LOGIN_FAILURE_WINDOW_S
    return (
        window_for(f"login-fail#account#{email}", window_s=window_s),
        window_for(f"login-fail#ip#{ip}", window_s=window_s),
    )


def user_authenticate(*, email: str, password: str, ip: str) -> User:
    """Check a password; failed attempts are counted per account and per IP."""
    email = normalize_email(email)
    account_window, ip_window = _login_windows(email, ip)
    if (
        counter_value(account_window) >= settings.LOGIN_FAILURES_PER_ACCOUNT
        or counter_value(ip_window) >= settings.LOGIN_FAILURES_PER_IP
    ):
        minutes = max(1, round(max(account_window.retry_after_s, 60) / 60))
        raise RateLimited(
            f"Too many failed log-in attempts. Try again in about {minutes} minute(s)."
        )
    user = user_get_by_email(email) if email else None
    global _DUMMY_HASH
    if user is None or not user.password_hash:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = make_password("not-a-real-password")
        check_password(password, _DUMMY_HASH)
        ok = False
    else:
        ok = check_password(password, user.password_hash)
    if not ok:
        counter_increment(account_window)
        counter_increment(ip_window)
        raise ApplicationError("Email or password is incorrect.")
    if user.is_banned:
        raise PermissionDenied("This account is suspended.")
    return user


def user_upsert_from_cognito(*, identity) -> User:
    """Create or refresh the user a Cognito ID token names; roles follow its groups."""
    user_id = f"cognito-{identity.sub}"
    roles = set()
    if identity.is_admin:
        roles.add(Role.ADMIN)
    if identity.is_moderator:
        roles.add(Role.MODERATOR)
    email = normalize_email(identity.email)
    existing = user_get(user_id)
    if existing is None:
        user = User(
            user_id,
            email=email,
            display_name=(identity.name or email)[:DISPLAY_NAME_MAX],
            cognito_sub=identity.sub,
            roles=roles,
            status=UserStatus.ACTIVE,
            created_at=now_s(),
        )
        try:
            _create_user_with_claim(user)
        except Conflict:
            raise Conflict(
                "A local account already uses this email; sign in with your password."
            ) from None
        return user
    if existing.is_banned:
        raise PermissionDenied("This account is suspended.")
    actions = [User.roles.set(roles) if roles else User.roles.remove()]
    existing.update(actions=actions)
    return existing


def user_set_role(*, user: User, role: Role, granted: bool) -> User:
    if granted:
        user.update(actions=[User.roles.add({str(role)})])
    else:
        user.update(actions=[User.roles.delete({str(role)})])
    return user


def user_set_banned(*, user: User, banned: bool) -> bool:
    """Ban or unban, conditional on the old status. False when it had changed."""
    new, old = (
        (UserStatus.BANNED, UserStatus.ACTIVE) if banned else (UserStatus.ACTIVE, UserStatus.BANNED)
    )
    try:
        user.update(actions=[User.status.set(str(new))], condition=User.status == str(old))
    except UpdateError as error:
        if condition_failed(error):
            return False
        raise
    return True


def admin_create_or_promote(*, email: str, password: str) -> tuple[User, bool]:
    """Create an admin account, or make an existing account admin. Returns (user, created)."""
    existing = user_get_by_email(normalize_email(email))
    if existing is not None:
        return user_set_role(user=existing, role=Role.ADMIN, granted=True), False
    user = user_sign_up(email=email, display_name=email.split("@")[0], password=password)
    return user_set_role(user=user, role=Role.ADMIN, granted=True), True


# --- Channels ------------------------------------------------------------------------


def require_channel_editor(*, actor, channel: Channel) -> None:
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("Log in to manage channels.")
    if actor.user_id != channel.owner_user_id and not actor.is_staff:
        raise PermissionDenied("You cannot edit this channel.")


def clean_handle(handle: str) -> str:
    value = (handle or "").strip().lstrip("@").lower()
    if not HANDLE_RE.fullmatch(value):
        raise ApplicationError(
            "Handles are 3-30 characters: letters a-z, digits, '-' or '_', "
            "starting with a letter or digit.",
            field="handle",
        )
    return value


def channel_create(*, owner: User, name: str, handle: str, description: str = "") -> Channel:
    """Create a channel; the handle is claimed in the same transaction."""
    if owner.is_banned:
        raise PermissionDenied("This account is suspended.")
    name = clean_text(name, field="name", label="Name", max_length=CHANNEL_NAME_MAX, required=True)
    handle = clean_handle(handle)
    description = clean_text(
        description,
        field="description",
        label="Description",
        max_length=DESCRIPTION_MAX,
        required=False,
    )
    channel = Channel(
        new_id(),
        owner_user_id=owner.user_id,
        handle=handle,
        name=name,
        description=description,
        created_at=now_s(),
    )
    claim = UniqueClaim(handle_claim(handle), owner_id=channel.channel_id)
    try:
        with transaction() as tx:
            tx.save(claim, condition=UniqueClaim.claim_id.does_not_exist())
            tx.save(channel, condition=Channel.channel_id.does_not_exist())
    except TransactWriteError as error:
        if condition_failed(error):
            raise Conflict(f"The handle @{handle} is taken.", field="handle") from None
        raise
    return channel


def channel_update(*, actor, channel: Channel, name: str, description: str) -> Channel:
    require_channel_editor(actor=actor, channel=channel)
    name = clean_text(name, field="name", label="Name", max_length=CHANNEL_NAME_MAX, required=True)
    description = clean_text(
        description,
        field="description",
        label="Description",
        max_length=DESCRIPTION_MAX,
        required=False,
    )
    try:
        channel.update(
            actions=[Channel.name.set(name), Channel.description.set(description)],
            condition=Channel.channel_id.exists(),
        )
    except UpdateError as error:
        if condition_failed(error):
            raise ApplicationError("This channel no longer exists.") from None
        raise
    return channel


def channels_set_owner_banned(*, owner_user_id: str, banned: bool) -> int:
    """Hide (or show again) every channel of a banned (or unbanned) user."""
    changed = 0
    for channel in Channel.owner_index.query(owner_user_id):
        channel.update(actions=[Channel.owner_banned.set(banned)])
        changed += 1
    return changed


def _image_prefix(channel: Channel, kind: str) -> str:
    return f"channels/{channel.channel_id}/{kind}/"


def channel_image_upload_start(
    *, actor, channel: Channel, kind: str, content_type: str
) -> storage.PresignedPost:
    """A presigned POST for a new avatar or banner, straight to the media bucket."""
    require_channel_editor(actor=actor, channel=channel)
    if kind not in IMAGE_KINDS:
        raise ApplicationError("Unknown image kind.")
    if content_type not in IMAGE_TYPES:
        raise ApplicationError("Choose a JPEG, PNG, WebP or GIF image.")
    # Each start signs a POST anyone holding it can fill: bounded per person.
    enforce(
        f"image#{actor.user_id}",
        limit=settings.IMAGE_UPLOADS_PER_HOUR,
        window_s=3600,
        message="You have started many image uploads recently. Try again later.",
    )
    return storage.presigned_post(
        bucket=settings.S3_MEDIA_BUCKET,
        key=_image_prefix(channel, kind) + new_id(),
        content_type=content_type,
        type_prefix="image/",
        max_bytes=getattr(settings, IMAGE_KINDS[kind]),
    )


_IMAGE_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def sniff_image_type(head: bytes) -> str | None:
    for signature, content_type in _IMAGE_SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def channel_image_upload_complete(*, actor, channel: Channel, kind: str, key: str) -> Channel:
    """Check what the browser uploaded (key, size, real image bytes) and attach it."""
    require_channel_editor(actor=actor, channel=channel)
    if kind not in IMAGE_KINDS:
        raise ApplicationError("Unknown image kind.")
    prefix = _image_prefix(channel, kind)
    suffix = (key or "")[len(prefix) :]
    if not key.startswith(prefix) or not re.fullmatch(r"[A-Za-z0-9]+", suffix):
        raise ApplicationError("That upload does not belong to this channel.")
    bucket = settings.S3_MEDIA_BUCKET
    stored = storage.head_object(bucket=bucket, key=key)
    if stored is None:
        raise ApplicationError("The upload did not arrive. Please try again.")
    limit = getattr(settings, IMAGE_KINDS[kind])
    problem = None
    if stored.size == 0:
        problem = "The image is empty."
    elif stored.size > limit:
        problem = f"The image is too big (at most {limit // 1024} KB)."
    elif sniff_image_type(storage.read_head_bytes(bucket=bucket, key=key, length=16)) is None:
        problem = "That file is not a JPEG, PNG, WebP or GIF image."
    if problem:
        storage.delete_object(bucket=bucket, key=key)
        raise ApplicationError(problem)

    attribute = Channel.avatar_key if kind == "avatar" else Channel.banner_key
    previous = getattr(channel, attribute.attr_name)
    try:
        channel.update(actions=[attribute.set(key)], condition=Channel.channel_id.exists())
    except UpdateError as error:
        if condition_failed(error):
            raise ApplicationError("This channel no longer exists.") from None
        raise
    if previous and previous != key:
        storage.delete_object(bucket=bucket, key=previous)
    return channel
