"""HLS playlists for the player, with every media segment URI signed.

The media bucket is never public. Playlists are served by the app (which checks who
may watch) and mirror the bucket layout, so nested playlist URIs stay relative;
segment URIs become presigned S3 URLs locally or CloudFront signed URLs with a CDN.
"""

import posixpath
import re

from django.conf import settings

from videoplatform.aws import s3_client
from videoplatform.storage import media_url

PLAYLIST_NAME_RE = re.compile(r"^[A-Za-z0-9_-]+(?:/[A-Za-z0-9_.-]+)*\.m3u8$")
_URI_ATTR_RE = re.compile(r'URI="([^"]+)"')


class PlaylistNotFound(Exception):
    pass


def valid_playlist_name(name: str) -> bool:
    return bool(PLAYLIST_NAME_RE.fullmatch(name or "")) and ".." not in name.split("/")


def _resolve(directory: str, uri: str) -> str | None:
    if "://" in uri or uri.startswith("/"):
        return None
    key = posixpath.normpath(posixpath.join(directory, uri))
    return key if key.startswith(directory.split("/", 2)[0]) and ".." not in key else None


def load_playlist(key: str) -> str:
    try:
        response = s3_client().get_object(Bucket=settings.S3_MEDIA_BUCKET, Key=key)
    except s3_client().exceptions.NoSuchKey:
        raise PlaylistNotFound(key) from None
    return response["Body"].read().decode("utf-8")


def sign_playlist(text: str, *, key: str) -> str:
    """Rewrite a playlist stored at ``key``: sign media URIs, keep playlist URIs relative."""
    directory = posixpath.dirname(key)
    out = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            out.append(line)
            continue
        if stripped.startswith("#"):
            if stripped.startswith(("#EXT-X-MAP", "#EXT-X-KEY")):
                line = _URI_ATTR_RE.sub(lambda m: f'URI="{_signed(directory, m.group(1))}"', line)
            out.append(line)
            continue
        if stripped.endswith(".m3u8"):
            out.append(stripped)  # resolved by the player against our playlist URL
        else:
            out.append(_signed(directory, stripped))
    return "\n".join(out) + "\n"


def _signed(directory: str, uri: str) -> str:
    key = _resolve(directory, uri)
    return media_url(key) if key else uri


def signed_playlist_response(key: str):
    """The playlist stored at ``key`` with its media URIs signed, or 404.

    Never reused without asking: signed URLs expire, a playlist grows (a live stream, a
    master while higher rungs are encoded), and a removed video must stop at once.
    """
    from django.http import Http404, HttpResponse

    try:
        text = load_playlist(key)
    except PlaylistNotFound:
        raise Http404 from None
    response = HttpResponse(
        sign_playlist(text, key=key), content_type="application/vnd.apple.mpegurl"
    )
    response["Cache-Control"] = "private, no-cache"
    return response
