"""HLS playlists for the player, with every media segment URI signed, and what the
watch page gives its player.

The media bucket is never public. Locally (and with a CDN but no signed cookies) the
app serves the playlists, after checking who may watch, mirroring the bucket layout so
nested playlist URIs stay relative; segment URIs become presigned S3 URLs, or CloudFront
signed URLs with a CDN. Signing is paid once per playlist and window, not per request:
the signed text is cached (``playlist_response``). With signed cookies
(``videos_app.playback_cookies``) the player reads everything straight from the CDN.
"""

import gzip
import hashlib
import posixpath
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils.cache import patch_vary_headers

from videoplatform.aws import s3_client
from videoplatform.storage import media_url, media_url_until, media_url_window_s, signing_time
from videos_app import playback_cookies
from videos_app.models import VideoStatus

PLAYLIST_NAME_RE = re.compile(r"^[A-Za-z0-9_-]+(?:/[A-Za-z0-9_.-]+)*\.m3u8$")
_URI_ATTR_RE = re.compile(r'URI="([^"]+)"')
_EXTINF_RE = re.compile(r"^#EXTINF:\s*([0-9.]+)", re.MULTILINE)
ENDLIST = "#EXT-X-ENDLIST"
_ACCEPTS_GZIP_RE = re.compile(r"\bgzip\b")
PLAYLIST_TYPE = "application/vnd.apple.mpegurl"

# A playlist that still changes (a live stream, a video still being encoded) is shared
# by every viewer of this process for half a segment (the local ingest's are 1 s), so
# players reloading it every segment see each new one at most that late.
CHANGING_PLAYLIST_CACHE_S = 0.5


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


def playlist_duration_s(text: str) -> float:
    """The length of what a media playlist lists (0 for a master playlist)."""
    return sum(float(seconds) for seconds in _EXTINF_RE.findall(text))


def sign_playlist(text: str, *, key: str, sign=None) -> str:
    """Rewrite a playlist stored at ``key``: media URIs signed with ``sign(key)``
    (``media_url`` unless given), playlist URIs kept relative."""
    sign = sign or media_url
    directory = posixpath.dirname(key)

    def signed(uri: str) -> str:
        resolved = _resolve(directory, uri)
        return sign(resolved) if resolved else uri

    out = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            out.append(line)
            continue
        if stripped.startswith("#"):
            if stripped.startswith(("#EXT-X-MAP", "#EXT-X-KEY")):
                line = _URI_ATTR_RE.sub(lambda m: f'URI="{signed(m.group(1))}"', line)
            out.append(line)
            continue
        if stripped.endswith(".m3u8"):
            out.append(stripped)  # resolved by the player against our playlist URL
        else:
            out.append(signed(stripped))
    return "\n".join(out) + "\n"


def _signed_for_caching(key: str, *, settled: bool) -> tuple[bytes, float]:
    """The signed playlist and how long it may be served from the cache.

    A finished playlist (settled, or ended with #EXT-X-ENDLIST, which players never
    reload) is served for one window and its segment URLs stay valid for the video's
    length plus MEDIA_URL_EXPIRY_S after the last moment it is served: whoever loaded it
    can watch to the end, pausing up to that long (then the player reloads it). Anything
    else is reloaded by the player every segment, so its URLs are the shared per-window
    ones (``media_url``) and the text is kept for half a segment.
    """
    try:
        text = load_playlist(key)
    except PlaylistNotFound:
        raise Http404 from None
    started = signing_time()
    if settled or ENDLIST in text:
        served_until = started + media_url_window_s()
        valid_until = served_until + playlist_duration_s(text) + settings.MEDIA_URL_EXPIRY_S
        body = sign_playlist(
            text, key=key, sign=lambda k: media_url_until(k, valid_until=valid_until)
        )
    else:
        served_until = started + CHANGING_PLAYLIST_CACHE_S
        body = sign_playlist(text, key=key)
    return body.encode("utf-8"), max(0.1, served_until - signing_time())


def playlist_cache():
    return caches["playlists"]


def _cache_key(key: str, version: str) -> str:
    return "playlist:" + hashlib.sha256(f"{version}\n{key}".encode()).hexdigest()[:40]


def playlist_response(request, key: str, *, version: str, settled: bool) -> HttpResponse:
    """The playlist stored at ``key`` with its media URIs signed, or 404.

    Served from the cache when this process signed it recently: the same cost whatever
    the video's length. ``version`` names the files (another encode is another entry);
    ``settled`` says they no longer change (a ready video). Who may watch is the
    caller's check, made on every request, so a removed video or an ended stream stops
    at once even while its playlist is cached.

    Kept and sent gzipped (signed URLs differ only in their signatures: a 2-hour
    rendition is 750 KB plain, about a seventh of that gzipped), so a long playlist costs
    little more to send or to keep than a short one.
    """
    cache = playlist_cache()
    cache_key = _cache_key(key, version)
    compressed = cache.get(cache_key)
    if compressed is None:
        body, keep_s = _signed_for_caching(key, settled=settled)
        compressed = gzip.compress(body, compresslevel=6, mtime=0)
        cache.set(cache_key, compressed, keep_s)
    if _ACCEPTS_GZIP_RE.search(request.headers.get("Accept-Encoding", "")):
        response = HttpResponse(compressed, content_type=PLAYLIST_TYPE)
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(gzip.decompress(compressed), content_type=PLAYLIST_TYPE)
    patch_vary_headers(response, ["Accept-Encoding"])
    # The browser asks again each time: a reload after an expired URL must get fresh ones.
    response["Cache-Control"] = "private, no-cache"
    return response


def video_playlist_response(request, video, name: str) -> HttpResponse:
    """A playlist of a playable video, by its name next to the master playlist: under
    hls/<id>/ for our own transcodes, the recording prefix for an IVS replay."""
    key = posixpath.join(posixpath.dirname(video.playlist_key), name)
    version = f"{video.status}:{video.job_id or ''}:{int(video.attempts or 0)}"
    settled = video.status == VideoStatus.READY
    return playlist_response(request, key, version=version, settled=settled)


def live_playlist_response(request, key: str) -> HttpResponse:
    return playlist_response(request, key, version="live", settled=False)


@dataclass(frozen=True)
class Player:
    """What the watch page's player element is given."""

    src: str  # the master playlist
    refresh_url: str = ""  # renews the CDN cookies (signed-cookie mode only)
    refresh_s: int = 0


def video_player(video) -> Player:
    if playback_cookies.enabled():
        return Player(
            src=playback_cookies.cdn_url(video.playlist_key),
            refresh_url=reverse("playback_grant", args=[video.video_id]),
            refresh_s=playback_cookies.refresh_every_s(),
        )
    name = posixpath.basename(video.playlist_key)
    return Player(src=reverse("playlist", args=[video.video_id, name]))


def grant_playback(response: HttpResponse, video) -> None:
    """Let the browser read the video's files from the CDN (signed-cookie mode only)."""
    if playback_cookies.enabled():
        playback_cookies.set_cookies(response, folder=posixpath.dirname(video.playlist_key))
