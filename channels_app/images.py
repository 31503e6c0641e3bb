"""Channel avatars and banners: a presigned POST straight to storage, then a check of
what arrived before the channel points at it."""

import re

from django.conf import settings
from pynamodb.exceptions import UpdateError

from channels_app.models import Channel
from channels_app.services import require_channel_editor
from videoplatform import storage
from videoplatform.dynamodb import condition_failed, new_id
from videoplatform.errors import ApplicationError
from videoplatform.ratelimit import enforce

IMAGE_KINDS = {"avatar": "AVATAR_MAX_BYTES", "banner": "BANNER_MAX_BYTES"}
IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp", "image/gif"}


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
