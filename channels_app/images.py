"""Channel avatars and banners: a presigned POST to a private upload area, then a check
of what arrived and a copy of it to a key the browser never could write.

The browser's POST lands in the raw bucket under ``images/<channel>/<kind>/<id>``
(never served; a lifecycle rule expires what nobody completed). "Complete" claims that
upload once, copies exactly the checked version to
``channels/<channel>/<kind>/<new id>.<ext>`` in the media bucket with the type its
bytes show, and deletes the upload; so a second POST with the same form, or a second
"complete", can never change what the channel shows.
"""

import re

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from pynamodb.exceptions import UpdateError

from channels_app.models import Channel
from channels_app.services import require_channel_editor
from videoplatform import idempotency, storage
from videoplatform.dynamodb import condition_failed, new_id
from videoplatform.errors import ApplicationError
from videoplatform.ratelimit import enforce

IMAGE_KINDS = {"avatar": "AVATAR_MAX_BYTES", "banner": "BANNER_MAX_BYTES"}
# The only types accepted, each with the extension of its served key. Never SVG: it
# is a document that can carry script.
IMAGE_TYPES = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/gif": ".gif",
}
NOT_AN_IMAGE = gettext_noop("That file is not a JPEG, PNG, WebP or GIF image.")

# How the channel page shows each image (the stored file is served as uploaded, cropped
# by the page with object-fit: cover): the banner as a wide strip across the page, the
# avatar as a circle. What the editor recommends follows from these.
BANNER_SHOWN_RATIO = (6, 1)
BANNER_RECOMMENDED_PX = (2048, 1152)  # the middle 2048 x 341 shows on every screen
AVATAR_RECOMMENDED_PX = (800, 800)
_TYPE_NAMES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP", "image/gif": "GIF"}


def image_guidance(kind: str) -> str:
    """What to upload for ``kind``, in words, from the constants above and the limits."""
    names = [_TYPE_NAMES[content_type] for content_type in IMAGE_TYPES]
    # "JPEG, PNG, WebP or GIF"
    formats = _("%(first)s or %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}
    megabytes = getattr(settings, IMAGE_KINDS[kind]) / (1024 * 1024)
    size = _("up to %(size)s MB") % {"size": f"{megabytes:g}"}
    if kind == "banner":
        width, height = BANNER_RECOMMENDED_PX
        across, down = BANNER_SHOWN_RATIO
        return _(
            "Banner: at least %(width)s × %(height)s px, shown at %(across)s:%(down)s; keep "
            "text in the middle. %(formats)s, %(size)s."
        ) % {
            "width": width,
            "height": height,
            "across": across,
            "down": down,
            "formats": formats,
            "size": size,
        }
    width, height = AVATAR_RECOMMENDED_PX
    return _(
        "Avatar: at least %(width)s × %(height)s px, shown as a circle. %(formats)s, %(size)s."
    ) % {"width": width, "height": height, "formats": formats, "size": size}


def _upload_prefix(channel: Channel, kind: str) -> str:
    return f"{storage.IMAGE_UPLOAD_PREFIX}{channel.channel_id}/{kind}/"


def _image_prefix(channel: Channel, kind: str) -> str:
    return f"channels/{channel.channel_id}/{kind}/"


def channel_image_upload_start(
    *, actor, channel: Channel, kind: str, content_type: str
) -> storage.PresignedPost:
    """A presigned POST for a new avatar or banner, to the private upload area; storage
    takes it only with exactly the declared type."""
    require_channel_editor(actor=actor, channel=channel)
    if kind not in IMAGE_KINDS:
        raise ApplicationError(_("Unknown image kind."))
    if content_type not in IMAGE_TYPES:
        raise ApplicationError(_("Choose a JPEG, PNG, WebP or GIF image."))
    # Each start signs a POST anyone holding it can fill: bounded per person.
    enforce(
        f"image#{actor.user_id}",
        limit=settings.IMAGE_UPLOADS_PER_HOUR,
        window_s=3600,
        message=_("You have started many image uploads recently. Try again later."),
    )
    return storage.presigned_post(
        bucket=settings.S3_RAW_BUCKET,
        key=_upload_prefix(channel, kind) + new_id(),
        content_type=content_type,
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


def _claim_upload(key: str) -> None:
    """Mark the upload used, once. The mark outlives the presigned POST that could fill
    the key again, after which the key is dead anyway."""
    ttl_s = settings.UPLOAD_URL_EXPIRY_S + 3600
    if not idempotency.claim_once("image-upload", key, result_id=key, ttl_s=ttl_s):
        raise ApplicationError(_("This upload was already used. Choose the image again."))


def channel_image_upload_complete(*, actor, channel: Channel, kind: str, key: str) -> Channel:
    """Check what the browser uploaded (key, size, declared and real type), copy it to a
    new served key and attach that. A refused upload is deleted."""
    require_channel_editor(actor=actor, channel=channel)
    if kind not in IMAGE_KINDS:
        raise ApplicationError(_("Unknown image kind."))
    key = key or ""
    prefix = _upload_prefix(channel, kind)
    if not key.startswith(prefix) or not re.fullmatch(r"[A-Za-z0-9]+", key[len(prefix) :]):
        raise ApplicationError(_("That upload does not belong to this channel."))
    upload = storage.head_object(bucket=settings.S3_RAW_BUCKET, key=key)
    if upload is None:
        raise ApplicationError(_("The upload did not arrive. Please try again."))
    _claim_upload(key)
    try:
        served_key = _publish_checked_copy(channel=channel, kind=kind, upload=upload)
        _attach(channel=channel, kind=kind, served_key=served_key)
    except ApplicationError:
        storage.delete_object(bucket=settings.S3_RAW_BUCKET, key=key)
        raise
    except Exception:
        # Storage or the table failed, not the file: let the person complete again.
        idempotency.release("image-upload", key)
        raise
    storage.delete_object(bucket=settings.S3_RAW_BUCKET, key=key)
    return channel


def _publish_checked_copy(*, channel: Channel, kind: str, upload: storage.StoredObject) -> str:
    """Copy the upload, as HEAD saw it, to a new media key typed by its declared type;
    keep the copy only if its bytes are that type. Returns the new key."""
    limit = getattr(settings, IMAGE_KINDS[kind])
    if upload.size == 0:
        raise ApplicationError(_("The image is empty."))
    if upload.size > limit:
        raise ApplicationError(
            _("The image is too big (at most %(kb)s KB).") % {"kb": limit // 1024}
        )
    declared = upload.content_type
    if declared not in IMAGE_TYPES:
        raise ApplicationError(_(NOT_AN_IMAGE))
    media = settings.S3_MEDIA_BUCKET
    served_key = _image_prefix(channel, kind) + new_id() + IMAGE_TYPES[declared]
    try:
        # The copy, not the upload, is checked: the POST form can fill the upload key
        # again at any moment, the served key only this copy writes.
        storage.copy_object(
            source_bucket=settings.S3_RAW_BUCKET,
            source_key=upload.key,
            bucket=media,
            key=served_key,
            content_type=declared,
            if_match=upload.etag or None,
        )
    except storage.SourceChanged:
        raise ApplicationError(
            _("The upload changed while it was checked. Please try again.")
        ) from None
    sniffed = sniff_image_type(storage.read_head_bytes(bucket=media, key=served_key, length=16))
    if sniffed != declared:
        storage.delete_object(bucket=media, key=served_key)
        if sniffed is None:
            raise ApplicationError(_(NOT_AN_IMAGE))
        raise ApplicationError(_("The file's contents do not match its type. Please try again."))
    return served_key


def _attach(*, channel: Channel, kind: str, served_key: str) -> None:
    """Point the channel at ``served_key`` if its image is still the one this request
    read, then delete the one it replaced."""
    attribute = Channel.avatar_key if kind == "avatar" else Channel.banner_key
    previous = getattr(channel, attribute.attr_name)
    unchanged = attribute == previous if previous else attribute.does_not_exist()
    try:
        channel.update(
            actions=[attribute.set(served_key)],
            condition=Channel.channel_id.exists() & unchanged,
        )
    except UpdateError as error:
        storage.delete_object(bucket=settings.S3_MEDIA_BUCKET, key=served_key)
        if condition_failed(error):
            raise ApplicationError(
                _(
                    "This channel's image changed meanwhile, or the channel is gone. "
                    "Please try again."
                )
            ) from None
        raise
    if previous:
        storage.delete_object(bucket=settings.S3_MEDIA_BUCKET, key=previous)
