"""Playback that costs the same for any length and never expires mid-video: signed
playlists cached per window with segment URLs good for the video's length, media URLs
signed once per window, live playlists shared for a second, and CloudFront signed
cookies in production. Against the real SeaweedFS, which checks every signature and
expiry with its own clock."""

import base64
import gzip
import json
import re
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from botocore.auth import S3SigV4QueryAuth
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings
from django.test import Client

from conftest import make_channel, make_user, sign_in
from live_app import services as live_services
from live_app.ingest import live_prefix
from social_app.tests.factories import make_ready_video
from videoplatform import storage
from videoplatform.aws import s3_client, s3_presign_client
from videoplatform.events import handle_event, make_event
from videoplatform.media_headers import s3_response_parameters
from videoplatform.tests.test_settings import PRODUCTION_ENV, run_manage
from videos_app import playback
from videos_app import services as video_services

SEGMENT_S = 4
TWO_HOURS = 2 * 3600
TEN_MINUTES = 600
_PLAYER_RE = re.compile(r'<div class="player" id="player"([^>]*)>')


# --- Helpers --------------------------------------------------------------------------


def store(key: str, body: bytes | str) -> None:
    s3_client().put_object(
        Bucket=settings.S3_MEDIA_BUCKET,
        Key=key,
        Body=body.encode() if isinstance(body, str) else body,
    )


def media_playlist(seconds: int, *, ended: bool = True, first: int = 0) -> str:
    """A media playlist of ``seconds`` in 4 s segments, as ffmpeg writes one."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{SEGMENT_S}"]
    lines.append(f"#EXT-X-MEDIA-SEQUENCE:{first}")
    for number in range(first, first + seconds // SEGMENT_S):
        lines += [f"#EXTINF:{SEGMENT_S:.6f},", f"seg_{number:05d}.ts"]
    if ended:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


MASTER = (
    "#EXTM3U\n#EXT-X-VERSION:3\n"
    '#EXT-X-STREAM-INF:BANDWIDTH=900000,RESOLUTION=640x360,CODECS="avc1.4d401e"\n'
    "360p/index.m3u8\n"
)


def ready_video(seconds: int, **kwargs):
    """A ready video whose 360p rendition lasts ``seconds``; of its segments only the last
    is stored (the only one a test fetches)."""
    video = make_ready_video(**kwargs)
    folder = f"hls/{video.video_id}"
    store(f"{folder}/master.m3u8", MASTER)
    store(f"{folder}/360p/index.m3u8", media_playlist(seconds))
    store(f"{folder}/360p/seg_{seconds // SEGMENT_S - 1:05d}.ts", b"G" * 188)
    return video


def rendition_path(video) -> str:
    return f"/watch/{video.video_id}/hls/360p/index.m3u8"


def segment_urls(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


@contextmanager
def clock_moved(seconds: float):
    """The clock URLs are signed with (ours and botocore's presigning) ``seconds`` away
    from the real one; requests to storage keep the real time. SeaweedFS checks
    signatures against its real clock, so signing 70 minutes ago and fetching now is the
    same as fetching 70 minutes after signing."""
    real = time.time
    presign = S3SigV4QueryAuth.add_auth

    def moved():
        return datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=seconds)

    def add_auth_moved(self, request):
        with mock.patch("botocore.auth.get_current_datetime", moved):
            return presign(self, request)

    with (
        mock.patch.object(storage, "signing_time", lambda: real() + seconds),
        mock.patch.object(S3SigV4QueryAuth, "add_auth", add_auth_moved),
    ):
        yield


@contextmanager
def mid_window():
    """The clock held in the middle of the current signing window, so that no test
    straddles two windows by chance."""
    window = storage.media_url_window_s()
    now = time.time()
    with clock_moved((now // window) * window + window / 2 - now):
        yield


@contextmanager
def counted_signing():
    """The keys presigned (S3) while inside."""
    client = s3_presign_client()
    keys: list[str] = []
    original = client.generate_presigned_url

    def counting(operation, Params=None, **kwargs):  # noqa: N803 (botocore's name)
        keys.append((Params or {}).get("Key"))
        return original(operation, Params=Params, **kwargs)

    with mock.patch.object(client, "generate_presigned_url", counting):
        yield keys


@contextmanager
def counted_reads():
    """The S3 GetObject calls made while inside, by key."""
    keys: list[str] = []

    def count(params, **_):
        keys.append(params.get("Key"))

    events = s3_client().meta.events
    events.register("provide-client-params.s3.GetObject", count)
    try:
        yield keys
    finally:
        events.unregister("provide-client-params.s3.GetObject", count)


def expires_in(url: str) -> int:
    return int(parse_qs(urlsplit(url).query)["X-Amz-Expires"][0])


def player_attributes(page: str) -> dict[str, str]:
    found = _PLAYER_RE.search(page)
    assert found, "no player on the page"
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', found.group(1)))


# --- VOD playlists ----------------------------------------------------------------------


class TestLongVideos:
    def test_last_segment_of_a_two_hour_video_loads_70_minutes_after_the_page_opened(self, client):
        """The page and its playlist are loaded, then 70 minutes pass (the signers' clock
        is moved back instead): the last segment's URL from that playlist still loads,
        where the same URL signed the old way (MEDIA_URL_EXPIRY_S from signing) is
        refused."""
        video = ready_video(TWO_HOURS)
        last_key = f"hls/{video.video_id}/360p/seg_{TWO_HOURS // SEGMENT_S - 1:05d}.ts"

        with clock_moved(-70 * 60):  # the page was opened 70 minutes ago
            page = client.get(f"/watch/{video.video_id}/")
            assert page.status_code == 200
            src = player_attributes(page.content.decode())["src"]
            assert client.get(src).status_code == 200  # the master playlist
            playlist = client.get(rendition_path(video)).content.decode()
            old_rule = storage.media_storage().url(
                last_key, parameters=s3_response_parameters(last_key)
            )

        last = segment_urls(playlist)[-1]
        assert urlsplit(last).path.endswith(last_key)
        assert requests.get(last, timeout=10).status_code == 200
        assert requests.get(old_rule, timeout=10).status_code == 403

    def test_segments_stay_valid_for_the_length_and_a_margin_after_serving_ends(self, client):
        """A finished playlist is served from the cache for one window; its segment URLs
        are good for the video's length plus MEDIA_URL_EXPIRY_S beyond that."""
        video = ready_video(TEN_MINUTES)
        text = client.get(rendition_path(video)).content.decode()
        lifetime = storage.media_url_window_s() + TEN_MINUTES + settings.MEDIA_URL_EXPIRY_S
        assert {expires_in(url) for url in segment_urls(text)} == {lifetime}


class TestCachedPlaylists:
    def test_second_request_signs_nothing_and_reads_nothing(self, client):
        """Once signed, a rendition playlist is served from the cache: no presigning and
        no S3 GetObject, the same text."""
        video = ready_video(TEN_MINUTES)
        with mid_window():
            with counted_signing() as signed, counted_reads() as reads:
                first = client.get(rendition_path(video))
            assert len(signed) == TEN_MINUTES // SEGMENT_S and len(reads) == 1
            with counted_signing() as signed, counted_reads() as reads:
                second = client.get(rendition_path(video))
        assert second.status_code == 200 and second.content == first.content
        assert signed == [] and reads == []
        assert second["Content-Type"] == "application/vnd.apple.mpegurl"

    def test_serving_costs_the_same_for_two_hours_as_for_ten_minutes(self, client):
        """Warm, the 2-hour playlist costs what the 10-minute one does: no signing and no
        storage read for either (the work that grew with length); cold, signing grows
        with the number of segments, once per window and process."""
        short, long = ready_video(TEN_MINUTES), ready_video(TWO_HOURS)
        cold, warm = {}, {}
        with mid_window():
            for name, video in (("short", short), ("long", long)):
                with counted_signing() as signed, counted_reads() as reads:
                    assert client.get(rendition_path(video)).status_code == 200
                cold[name] = (len(signed), len(reads))
            for name, video in (("short", short), ("long", long)):
                with counted_signing() as signed, counted_reads() as reads:
                    assert client.get(rendition_path(video)).status_code == 200
                warm[name] = (len(signed), len(reads))
        assert cold == {"short": (150, 1), "long": (1800, 1)}
        assert warm == {"short": (0, 0), "long": (0, 0)}

    def test_sent_gzipped_to_players_that_take_it(self, client):
        """Signed URLs differ only in their signatures: a 2-hour rendition goes out (and
        is kept) gzipped at a fraction of its size; the same text either way."""
        video = ready_video(TWO_HOURS)
        plain = client.get(rendition_path(video))
        packed = client.get(rendition_path(video), HTTP_ACCEPT_ENCODING="gzip, deflate, br")
        assert "Content-Encoding" not in plain and packed["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in packed["Vary"] and "Accept-Encoding" in plain["Vary"]
        assert gzip.decompress(packed.content) == plain.content
        assert len(packed.content) < len(plain.content) / 5

    def test_a_removed_video_is_not_served_from_the_cache(self, client):
        """Who may watch is checked on every request: once the video is taken down its
        cached playlists answer 404."""
        video = ready_video(TEN_MINUTES)
        assert client.get(rendition_path(video)).status_code == 200
        video_services.video_take_down(video=video, reason="Spam")
        assert client.get(rendition_path(video)).status_code == 404
        assert client.get(f"/watch/{video.video_id}/hls/master.m3u8").status_code == 404

    def test_a_private_video_is_not_served_from_the_cache_to_others(self, client):
        """The owner's request fills the cache; another viewer still gets 404."""
        owner = make_user()
        video = ready_video(TEN_MINUTES, owner=owner, visibility="private")
        assert sign_in(Client(), owner).get(rendition_path(video)).status_code == 200
        assert client.get(rendition_path(video)).status_code == 404
        assert sign_in(Client(), make_user()).get(rendition_path(video)).status_code == 404

    def test_a_growing_playlist_is_kept_only_briefly(self, client, monkeypatch):
        """A playlist without #EXT-X-ENDLIST (an encode still running) changes: it is
        kept for a second and its URLs are the shared per-window ones."""
        video = make_ready_video()
        folder = f"hls/{video.video_id}"
        store(f"{folder}/360p/index.m3u8", media_playlist(8, ended=False))
        video.update(actions=[type(video).status.set("processing")])
        with mid_window():
            text = client.get(rendition_path(video)).content.decode()
            assert [expires_in(u) for u in segment_urls(text)] == [
                int(storage.media_url_window_s() * 1.5)
            ] * 2
            store(f"{folder}/360p/index.m3u8", media_playlist(12, ended=False))
            time.sleep(playback.CHANGING_PLAYLIST_CACHE_S + 0.2)
            with counted_signing() as signed:
                grown = client.get(rendition_path(video)).content.decode()
        assert len(segment_urls(grown)) == 3 and signed == [f"{folder}/360p/seg_00002.ts"]


# --- Media URLs (posters, avatars) --------------------------------------------------------


class TestMediaUrls:
    def test_same_url_for_a_window_signed_once(self):
        """A poster's URL is signed once per window and process and is the same on every
        page of the window (so the browser caches the image)."""
        key = f"hls/{make_user().user_id}/poster.jpg"
        with mid_window(), counted_signing() as signed:
            urls = {storage.media_url(key) for _ in range(24)}
        assert len(urls) == 1 and signed == [key]

    def test_a_url_handed_out_is_good_for_a_window_more(self):
        """At the last second of a window the URL is still good for a whole window more,
        and the next window has a URL of its own."""
        key = f"hls/{make_user().user_id}/poster.jpg"
        window = storage.media_url_window_s()
        now = time.time()
        last_second = (now // window) * window + window - 1 - now
        with clock_moved(last_second):
            late = storage.media_url(key)
        with clock_moved(last_second + 1):
            next_window = storage.media_url(key)
        assert expires_in(late) == window + 1 and next_window != late
        assert expires_in(next_window) == 2 * window
        assert requests.get(late, timeout=10).status_code in (200, 404)  # signed correctly

    def test_home_page_signs_no_poster_twice(self, client):
        """The second render of the home page in a window signs no poster."""
        ready_video(TEN_MINUTES)
        with mid_window():
            assert client.get("/").status_code == 200
            with counted_signing() as signed:
                assert client.get("/").status_code == 200
        assert signed == []


# --- Live ---------------------------------------------------------------------------------


class TestLivePlaylists:
    def test_many_viewers_within_a_second_cost_one_signing(
        self, client, creator, creator_channel, monkeypatch
    ):
        """Ten requests for the live playlist while it is cached read storage once and
        sign each segment once. (Its second is stretched, so a slow machine cannot make
        the ten straddle two.)"""
        monkeypatch.setattr(playback, "CHANGING_PLAYLIST_CACHE_S", 60.0)
        session = live_services.live_session_create(
            actor=creator, channel_id=creator_channel.channel_id, title="Live"
        )
        handle_event(
            make_event(
                source="aws.ivs",
                detail_type="IVS Stream State Change",
                detail={"event_name": "Stream Start", "channel_name": session.stream_id},
                resources=[session.channel_arn],
            )
        )
        store(live_prefix(session.stream_id) + "index.m3u8", media_playlist(12, ended=False))
        path = f"/live/{session.stream_id}/hls/index.m3u8"
        with mid_window(), counted_signing() as signed, counted_reads() as reads:
            bodies = {client.get(path).content for _ in range(10)}
        assert len(bodies) == 1 and len(signed) == 3 and len(reads) == 1

    def test_unknown_stream_is_not_served(self, client):
        assert client.get("/live/nope/hls/index.m3u8").status_code == 404


# --- Production: CloudFront signed cookies ------------------------------------------------


@pytest.fixture
def cookie_mode(settings):
    """Signed-cookie playback with a fresh key pair; the public key to verify with."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    settings.CLOUDFRONT_DOMAIN = "media.example.com"
    settings.CLOUDFRONT_KEY_ID = "K2JCJMDEHXQW5F"
    settings.CLOUDFRONT_PRIVATE_KEY = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    settings.PLAYBACK_SIGNED_COOKIES = True
    settings.PLAYBACK_COOKIE_DOMAIN = ".example.com"
    storage.media_storage.cache_clear()
    yield key.public_key()
    storage.media_storage.cache_clear()


def cloudfront_b64decode(value: str) -> bytes:
    return base64.b64decode(value.translate(str.maketrans("-_~", "+=/")))


def check_grant(response, public_key, video) -> None:
    """The response sets the three CloudFront cookies for the video's folder only, signed
    with the key pair, expiring at least a window from now."""
    folder = f"hls/{video.video_id}"
    cookies = response.cookies
    assert {"CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id"} <= set(cookies)
    for name in ("CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id"):
        cookie = cookies[name]
        assert cookie["domain"] == ".example.com" and cookie["path"] == f"/{folder}/"
        assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"
        assert int(cookie["max-age"]) >= storage.media_url_window_s() - 60
    assert cookies["CloudFront-Key-Pair-Id"].value == "K2JCJMDEHXQW5F"
    policy = cloudfront_b64decode(cookies["CloudFront-Policy"].value)
    public_key.verify(
        cloudfront_b64decode(cookies["CloudFront-Signature"].value),
        policy,
        padding.PKCS1v15(),
        hashes.SHA1(),  # what CloudFront signs with
    )
    (statement,) = json.loads(policy)["Statement"]
    assert statement["Resource"] == f"https://media.example.com/{folder}/*"
    expires_at = statement["Condition"]["DateLessThan"]["AWS:EpochTime"]
    assert expires_at >= time.time() + storage.media_url_window_s() - 60


class TestSignedCookies:
    def test_watch_page_grants_the_videos_folder_and_plays_from_the_cdn(self, client, cookie_mode):
        """The watch page sets the cookies for the video's folder and points the player at
        the CDN, with the URL that renews the cookies."""
        video = ready_video(TEN_MINUTES)
        page = client.get(f"/watch/{video.video_id}/")
        check_grant(page, cookie_mode, video)
        player = player_attributes(page.content.decode())
        assert player["src"] == f"https://media.example.com/hls/{video.video_id}/master.m3u8"
        assert player["refresh-url"] == f"/watch/{video.video_id}/playback/"
        assert int(player["refresh-s"]) <= storage.media_url_window_s() // 2

    def test_refresh_renews_after_the_same_check(self, client, cookie_mode):
        """The renewal URL grants whoever may watch (204 with cookies) and nobody else:
        another user's private video and a removed video answer 404 without cookies."""
        owner = make_user()
        channel = make_channel(owner=owner)
        public = ready_video(TEN_MINUTES, owner=owner, channel=channel)
        private = ready_video(TEN_MINUTES, owner=owner, channel=channel, visibility="private")
        removed = ready_video(TEN_MINUTES, owner=owner, channel=channel)
        video_services.video_take_down(video=removed, reason="Spam")

        renewed = client.get(f"/watch/{public.video_id}/playback/")
        assert renewed.status_code == 204 and renewed["Cache-Control"] == "no-store"
        check_grant(renewed, cookie_mode, public)
        other = sign_in(Client(), make_user())
        for video in (private, removed):
            refused = other.get(f"/watch/{video.video_id}/playback/")
            assert refused.status_code == 404
            assert not [name for name in refused.cookies if name.startswith("CloudFront-")]
        check_grant(
            sign_in(Client(), owner).get(f"/watch/{private.video_id}/playback/"),
            cookie_mode,
            private,
        )

    def test_cdn_urls_expire_at_the_end_of_the_next_window(self, cookie_mode):
        """A CloudFront signed URL's expiry is the window's, not the second it was signed
        in: every process hands out the same URL for a poster all window."""
        window = storage.media_url_window_s()
        with mid_window():
            url = storage.media_url("hls/abc/poster.jpg")
            index = int(storage.signing_time() // window)
        assert url.startswith("https://media.example.com/hls/abc/poster.jpg?")
        assert int(parse_qs(urlsplit(url).query)["Expires"][0]) == (index + 2) * window

    def test_cookies_signed_once_per_window(self, cookie_mode):
        """Every viewer of a video within a window gets the same cookies: one RSA signing."""
        from videos_app import playback_cookies

        with mid_window():
            first = playback_cookies.signed_cookies("hls/abc")
            assert playback_cookies.signed_cookies("hls/abc") is first
            assert playback_cookies.signed_cookies("hls/other") != first

    def test_cookie_mode_refuses_to_start_without_the_cdn_settings(self):
        """PLAYBACK_SIGNED_COOKIES without the key pair or the cookie domain stops
        start-up with a message naming what is missing."""
        env = {**PRODUCTION_ENV, "PLAYBACK_SIGNED_COOKIES": "true"}
        env["CLOUDFRONT_DOMAIN"] = "media.tube.example.com"
        result = run_manage("check", env=env)
        assert result.returncode != 0
        assert "CLOUDFRONT_KEY_ID" in result.stderr and "PLAYBACK_COOKIE_DOMAIN" in result.stderr

    def test_without_cookie_mode_no_cookies_and_the_app_serves_playlists(self, client):
        video = ready_video(TEN_MINUTES)
        page = client.get(f"/watch/{video.video_id}/")
        assert not [name for name in page.cookies if name.startswith("CloudFront-")]
        player = player_attributes(page.content.decode())
        assert player["src"] == f"/watch/{video.video_id}/hls/master.m3u8"
        assert "refresh-url" not in player
        assert client.get(f"/watch/{video.video_id}/playback/").status_code == 204
