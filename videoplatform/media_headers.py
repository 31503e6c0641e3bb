"""How media objects are served: an explicit type and disposition for every key, nosniff.

The media bucket and its CDN are an origin that serves what users uploaded, so no
response may leave the browser room to guess: S3 presigned GETs carry
``response-content-type`` and ``response-content-disposition`` chosen from the key's
extension, and CloudFront serves the type stored on the object at write time with
``RESPONSE_HEADERS_POLICY`` adding ``X-Content-Type-Options: nosniff`` (S3 cannot add
that header itself). The CDK deploy reuses ``RESPONSE_HEADERS_POLICY`` as is.
"""

import posixpath
import re
from dataclasses import dataclass

# Every extension the platform writes to the media bucket, with the type it is served as.
MEDIA_CONTENT_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".vtt": "text/vtt",
    ".aac": "audio/aac",
}
FALLBACK_CONTENT_TYPE = "application/octet-stream"

# Avatars and banners stored before image keys had an extension
# (``channels/<id>/avatar/<id>``). Their stored type came from the browser, so it is
# not trusted: they are served as an image type, which a browser only ever decodes as
# a picture (by its bytes: a JPEG still shows), never renders as a page.
_LEGACY_CHANNEL_IMAGE_RE = re.compile(r"channels/[A-Za-z0-9_-]+/(?:avatar|banner)/[A-Za-z0-9]+")
LEGACY_CHANNEL_IMAGE_TYPE = "image/png"


@dataclass(frozen=True)
class ServedAs:
    content_type: str
    disposition: str  # "inline" | "attachment"


def served_as(key: str) -> ServedAs:
    """The type and disposition a media object is served with, from its key alone (a
    page can list many; no HEAD per URL). Unknown keys download, never render."""
    extension = posixpath.splitext(key)[1].lower()
    if extension in MEDIA_CONTENT_TYPES:
        return ServedAs(MEDIA_CONTENT_TYPES[extension], "inline")
    if _LEGACY_CHANNEL_IMAGE_RE.fullmatch(key):
        return ServedAs(LEGACY_CHANNEL_IMAGE_TYPE, "inline")
    return ServedAs(FALLBACK_CONTENT_TYPE, "attachment")


def s3_response_parameters(key: str) -> dict[str, str]:
    """GetObject parameters that make S3 answer with the type and disposition above,
    whatever type the object was stored with."""
    served = served_as(key)
    return {
        "ResponseContentType": served.content_type,
        "ResponseContentDisposition": served.disposition,
    }


# CloudFront CreateResponseHeadersPolicy ``ResponseHeadersPolicyConfig`` for the media
# distribution. ``sandbox`` makes a document the CDN serves (should one ever get there)
# script-less and origin-less; it does not touch images, playlists or segments.
RESPONSE_HEADERS_POLICY = {
    "Name": "media-origin-nosniff",
    "Comment": "Media: nosniff; the content type is stored on each object at write time.",
    "SecurityHeadersConfig": {
        "ContentTypeOptions": {"Override": True},
        "ContentSecurityPolicy": {
            "ContentSecurityPolicy": "default-src 'none'; sandbox",
            "Override": True,
        },
    },
}
