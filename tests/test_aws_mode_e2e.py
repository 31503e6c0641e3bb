"""The production (AWS) mode end to end, with no AWS account: an upload transcoded by
MediaConvert, published, announced and played through CloudFront signed cookies, and a
live stream on IVS whose recording becomes a playable replay.

Settings are production-like: TRANSCODER_BACKEND=mediaconvert, LIVE_BACKEND=ivs,
CloudFront signing with a key pair generated here, PLAYBACK_SIGNED_COOKIES on. The
browser's part goes through the app's own views with the Django test client; AWS's part
is the webhook POST EventBridge would make to /hooks/aws/events/.

What each service runs against:
- DynamoDB and S3: the session's DynamoDB Local and SeaweedFS (real protocols, and the
  app's own endpoint settings), not moto.
- IVS channels (CreateChannel, GetChannel, ListChannels): moto.
- IVS stream keys (DeleteStreamKey, CreateStreamKey) and MediaConvert (Probe, CreateJob,
  GetJob): botocore's Stubber, which moto 5.2 does not model; the Stubber checks every
  request against the service model and fails on any call not queued.
- Sign-in: AUTH_BACKEND stays local. Cognito's managed login (its /oauth2 endpoints) is
  not served by moto, and nothing in these flows depends on how the user signed in.
- Everything else (uploads, transitions, the event intake, fan-out, playback signing):
  the app's own code, each step named in a comment.
"""

import secrets
import time
from types import SimpleNamespace

import boto3
import pytest
from botocore.stub import Stubber
from django.conf import settings
from django.core.cache import caches
from django.test import Client
from moto import mock_aws

from conftest import make_user, sign_in
from live_app.backends.loader import get_live_backend
from live_app.models import LiveStatus
from live_app.selectors import session_get
from live_app.tests.test_live import recording_event, stream_event
from social_app.selectors import notifications_page
from social_app.services import subscription_set
from tests.test_fault_drills import drain_fanouts, post_event
from videoplatform import aws, storage
from videoplatform.dynamodb import now_s
from videoplatform.events import make_event
from videoplatform.testing.aws_mode import (
    SplitClient,
    generate_cloudfront_keys,
    verified_canned_url,
    verified_cookie_policy,
)
from videos_app.keys import raw_key
from videos_app.models import VideoStatus
from videos_app.selectors import video_get
from videos_app.services import video_reconcile
from videos_app.tests.factories import post_to_storage
from videos_app.tests.test_mediaconvert_probe import probe_result
from videos_app.transcoding.backends import get_transcoder

ACCOUNT = "123456789012"  # moto's account: its IVS ARNs carry it
ROLE = f"arn:aws:iam::{ACCOUNT}:role/MediaConvertRole"
APP_TAG = "vp-e2e"
JOB_ID = "1701612345678-e2e001"
CDN = "media.example.com"
KEY_PAIR_ID = "K2JCJMDEHXQW5F"
RECORDING_CONFIGURATION = f"arn:aws:ivs:us-east-1:{ACCOUNT}:recording-configuration/e2eRec01"
COOKIES = ("CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id")
SOURCE = b"\x00\x00\x00\x18ftypmp42" + bytes(2000)


@pytest.fixture(scope="module")
def cloudfront_keys():
    return generate_cloudfront_keys()


def _forget_backends() -> None:
    """The cached backends, clients and signers were built from the settings before."""
    for cached in (get_transcoder, get_live_backend, storage.media_storage, aws.client):
        cached.cache_clear()
    caches["playlists"].clear()


@pytest.fixture
def aws_mode(settings, cloudfront_keys):
    """Production-like settings; MediaConvert's client (the app's own) under a Stubber,
    with every CreateJob request kept for the test to read."""
    settings.TRANSCODER_BACKEND = "mediaconvert"
    settings.MEDIACONVERT_ROLE_ARN = ROLE
    settings.MEDIACONVERT_APP_TAG = APP_TAG
    settings.LIVE_BACKEND = "ivs"
    settings.IVS_RECORDING_CONFIGURATION_ARN = RECORDING_CONFIGURATION
    settings.AWS_ACCOUNT_ID = ACCOUNT  # the intake refuses events from another account
    settings.CLOUDFRONT_DOMAIN = CDN
    settings.CLOUDFRONT_KEY_ID = KEY_PAIR_ID
    settings.CLOUDFRONT_PRIVATE_KEY = cloudfront_keys.private_pem
    settings.PLAYBACK_SIGNED_COOKIES = True
    settings.PLAYBACK_COOKIE_DOMAIN = ".example.com"
    _forget_backends()
    mediaconvert = aws.client("mediaconvert")
    jobs: list[dict] = []
    mediaconvert.meta.events.register(
        "provide-client-params.mediaconvert.CreateJob",
        lambda params, **_: jobs.append(params),
    )
    with Stubber(mediaconvert) as stubber:
        yield SimpleNamespace(mediaconvert=stubber, jobs=jobs, keys=cloudfront_keys)
    _forget_backends()


@pytest.fixture
def ivs(aws_mode):
    """The app's IVS client: moto for the channel calls, a Stubber for the key calls."""
    app_client = aws.client
    with mock_aws():
        keys_client = boto3.client(
            "ivs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
        )
        split = SplitClient(
            modelled=app_client("ivs"),
            stubbed=keys_client,
            stubbed_operations={
                "create_stream_key",
                "delete_stream_key",
                "list_stream_keys",
                "get_stream",
                "stop_stream",
            },
        )
        # Undone here, not by monkeypatch: aws_mode's teardown clears aws.client's cache.
        aws.client = lambda name: split if name == "ivs" else app_client(name)
        try:
            with Stubber(keys_client) as stubber:
                yield SimpleNamespace(moto=app_client("ivs"), stubber=stubber)
        finally:
            aws.client = app_client


def put_media(keys_and_bodies: dict[str, bytes]) -> None:
    """What MediaConvert or IVS would have written to the media bucket (SeaweedFS)."""
    for key, body in keys_and_bodies.items():
        storage.s3_client().put_object(Bucket=settings.S3_MEDIA_BUCKET, Key=key, Body=body)


def assert_cookie_grant(response, public_key, *, folder: str) -> None:
    """Signed cookies for exactly ``folder`` whose policy verifies with the public key."""
    assert all(name in response.cookies for name in COOKIES), list(response.cookies)
    for name in COOKIES:
        morsel = response.cookies[name]
        assert morsel["path"] == f"/{folder}/" and morsel["domain"] == ".example.com"
        assert morsel["secure"] and morsel["httponly"]
    assert response.cookies["CloudFront-Key-Pair-Id"].value == KEY_PAIR_ID
    policy = verified_cookie_policy(
        public_key, {name: response.cookies[name].value for name in COOKIES}
    )
    (statement,) = policy["Statement"]
    assert statement["Resource"] == f"https://{CDN}/{folder}/*"
    expires = statement["Condition"]["DateLessThan"]["AWS:EpochTime"]
    window = storage.media_url_window_s()
    assert time.time() + window - 1 <= expires <= time.time() + 2 * window + 1


def renditions(job: dict) -> list[tuple[str, int, int]]:
    hls = job["Settings"]["OutputGroups"][0]
    return [
        (o["NameModifier"], o["VideoDescription"]["Width"], o["VideoDescription"]["Height"])
        for o in hls["Outputs"]
    ]


def complete_event(video_id: str, job_id: str) -> dict:
    """A MediaConvert COMPLETE as EventBridge delivers it (outputs as AWS lists them)."""
    out = f"s3://{settings.S3_MEDIA_BUCKET}/hls/{video_id}"
    return make_event(
        source="aws.mediaconvert",
        detail_type="MediaConvert Job State Change",
        resources=[f"arn:aws:mediaconvert:us-east-1:{ACCOUNT}:jobs/{job_id}"],
        detail={
            "timestamp": int(time.time() * 1000),
            "accountId": ACCOUNT,
            "queue": f"arn:aws:mediaconvert:us-east-1:{ACCOUNT}:queues/Default",
            "jobId": job_id,
            "status": "COMPLETE",
            "userMetadata": {"video_id": video_id, "app": APP_TAG},
            "outputGroupDetails": [
                {
                    "type": "HLS_GROUP",
                    "playlistFilePaths": [f"{out}/master.m3u8"],
                    "outputDetails": [
                        {
                            "outputFilePaths": [f"{out}/master_{h}p.m3u8"],
                            "durationInMs": 12000,
                            "videoDetails": {"widthInPx": w, "heightInPx": h},
                        }
                        for w, h in ((1280, 720), (854, 480), (640, 360))
                    ],
                },
                {
                    "type": "FILE_GROUP",
                    "outputDetails": [{"outputFilePaths": [f"{out}/thumb_poster.0000001.jpg"]}],
                },
            ],
        },
    )


MASTER = b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=3000000,RESOLUTION=1280x720\nmaster_720p.m3u8\n"
RENDITION = (
    b"#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.0,\nmaster_720p_00001.ts\n#EXT-X-ENDLIST\n"
)


class TestVideoOnDemand:
    def test_upload_transcode_announce_and_signed_playback(
        self, client, aws_mode, creator, creator_channel
    ):
        """Upload -> Probe + CreateJob with the probed ladder -> GetJob progress ->
        COMPLETE webhook -> ready -> the subscriber is notified -> the watch page grants
        CloudFront cookies for the video's folder and the playlist's segment URLs are
        CloudFront-signed, both verifying with the public key."""
        mediaconvert = aws_mode.mediaconvert
        # DynamoDB Local: a subscriber who wants every notice.
        subscriber = make_user()
        subscription_set(user=subscriber, channel_id=creator_channel.channel_id, subscribed=True)
        sign_in(client, creator)

        # The app's upload view (DynamoDB Local; the presigned POST signed for SeaweedFS).
        started = client.post(
            "/studio/upload/",
            {
                "channel_id": creator_channel.channel_id,
                "title": "Launch",
                "visibility": "public",
                "size": len(SOURCE),
                "content_type": "video/mp4",
            },
        )
        assert started.status_code == 200, started.content[:300]
        answer = started.json()
        video_id = answer["video_id"]
        # SeaweedFS: the browser's POST of the file.
        stored = post_to_storage(SimpleNamespace(**answer["upload"]), SOURCE, content_type=None)
        assert stored.status_code in (200, 201, 204), stored.text

        # Stubber: MediaConvert's Probe (a 1280x720 source), then CreateJob.
        source_uri = f"s3://{settings.S3_RAW_BUCKET}/{raw_key(video_id)}"
        mediaconvert.add_response(
            "probe",
            {"ProbeResults": [probe_result(width=1280, height=720, duration=12.0)]},
            {"InputFiles": [{"FileUrl": source_uri}]},
        )
        mediaconvert.add_response(
            "create_job", {"Job": {"Id": JOB_ID, "Role": ROLE, "Settings": {}}}
        )
        # The app's "complete" view: HEAD on SeaweedFS, then the transcoder (Stubber).
        completed = client.post(answer["complete_url"])
        assert completed.status_code == 200 and completed.json()["status"] == "queued"
        (job,) = aws_mode.jobs
        assert renditions(job) == [("_720p", 1280, 720), ("_480p", 854, 480), ("_360p", 640, 360)]
        assert job["UserMetadata"] == {"video_id": video_id, "app": APP_TAG}
        assert (job["Role"], job["ClientRequestToken"]) == (ROLE, video_id)
        assert job["Settings"]["Inputs"][0]["FileInput"] == source_uri
        hls = job["Settings"]["OutputGroups"][0]["OutputGroupSettings"]["HlsGroupSettings"]
        assert hls["Destination"] == f"s3://{settings.S3_MEDIA_BUCKET}/hls/{video_id}/master"
        video = video_get(video_id, consistent=True)
        assert (video.status, video.job_id) == (VideoStatus.QUEUED, JOB_ID)
        assert (video.width, video.height, video.duration_s) == (1280, 720, 12.0)

        # Stubber: GetJob, read by reconcile_transcodes' per-video step (a missed event).
        mediaconvert.add_response(
            "get_job",
            {
                "Job": {
                    "Id": JOB_ID,
                    "Role": ROLE,
                    "Settings": {},
                    "Status": "PROGRESSING",
                    "JobPercentComplete": 40,
                }
            },
            {"Id": JOB_ID},
        )
        video_reconcile(video=video, now=now_s())
        video = video_get(video_id, consistent=True)
        assert (video.status, video.progress) == (VideoStatus.PROCESSING, 40)

        # SeaweedFS: the outputs MediaConvert wrote; then its COMPLETE through the webhook.
        folder = f"hls/{video_id}"
        put_media(
            {
                f"{folder}/master.m3u8": MASTER,
                f"{folder}/master_720p.m3u8": RENDITION,
                f"{folder}/master_720p_00001.ts": b"\x47" * 188,
                f"{folder}/thumb_poster.0000001.jpg": b"\xff\xd8\xff\xd9",
            }
        )
        applied = post_event(client, complete_event(video_id, JOB_ID))
        assert applied.status_code == 200 and applied.json() == {"result": "applied"}
        mediaconvert.assert_no_pending_responses()
        video = video_get(video_id, consistent=True)
        assert video.status == VideoStatus.READY
        assert video.playlist_key == f"{folder}/master.m3u8"
        assert video.poster_key == f"{folder}/thumb_poster.0000001.jpg"
        assert video.renditions == ["360p", "480p", "720p"]

        # The app's own code: what the notification worker runs (fanout_run_once).
        drain_fanouts()
        links = [n.link for n in notifications_page(user=subscriber).items]
        assert f"/watch/{video_id}/" in links

        # The app's watch page for an anonymous viewer: CloudFront signed cookies.
        viewer = Client()
        watch = viewer.get(f"/watch/{video_id}/")
        assert watch.status_code == 200
        assert f"https://{CDN}/{folder}/master.m3u8".encode() in watch.content
        assert_cookie_grant(watch, aws_mode.keys.public_key, folder=folder)
        # The app's playlist view (SeaweedFS): segment URIs are CloudFront signed URLs.
        playlist = viewer.get(f"/watch/{video_id}/hls/master_720p.m3u8")
        assert playlist.status_code == 200
        (segment,) = [line for line in playlist.content.decode().splitlines() if ".ts" in line]
        resource, expires, key_id = verified_canned_url(aws_mode.keys.public_key, segment)
        assert resource == f"https://{CDN}/{folder}/master_720p_00001.ts"
        assert key_id == KEY_PAIR_ID and expires > time.time() + storage.media_url_window_s()


class TestLive:
    def test_go_live_stream_record_and_replay(
        self, client, ivs, aws_mode, creator, creator_channel
    ):
        """Go live (an IVS channel made once, on moto) -> Stream Start: live and shown ->
        Stream End -> Recording End with the recording in the media bucket: a ready
        replay that plays with signed cookies -> the next go-live reuses the channel
        with a new stream key (Stubber)."""
        sign_in(client, creator)
        # The app's studio view; moto: CreateChannel.
        went_live = client.post(
            "/studio/live/", {"channel_id": creator_channel.channel_id, "title": "Launch day"}
        )
        assert went_live.status_code == 302, went_live.content[:300]
        stream_id = went_live.url.rstrip("/").rsplit("/", 1)[1]
        session = session_get(stream_id, consistent=True)
        (summary,) = ivs.moto.list_channels()["channels"]
        channel = ivs.moto.get_channel(arn=summary["arn"])["channel"]
        assert channel["tags"] == {"channel_id": creator_channel.channel_id}
        assert (channel["latencyMode"], channel["type"]) == ("LOW", "STANDARD")
        assert channel["recordingConfigurationArn"] == RECORDING_CONFIGURATION
        assert session.status == LiveStatus.CREATED and session.channel_arn == channel["arn"]
        assert session.stream_key.startswith("sk_us-east-1_")
        # The app's studio session page shows the owner where and with what to stream.
        studio = client.get(f"/studio/live/{stream_id}/")
        assert session.stream_key.encode() in studio.content
        assert b"rtmps://ingest.example.com:443/app/" in studio.content

        # The app's webhook: IVS "Stream Start"; the live page shows IVS's playback URL.
        assert post_event(client, stream_event(session, "Stream Start")).json() == {
            "result": "applied"
        }
        assert session_get(stream_id, consistent=True).status == LiveStatus.LIVE
        page = Client().get(f"/live/{stream_id}/")
        assert b'data-state="live"' in page.content
        assert channel["playbackUrl"].encode() in page.content

        # The app's webhook: "Stream End".
        assert post_event(client, stream_event(session, "Stream End")).json() == {
            "result": "applied"
        }
        assert session_get(stream_id, consistent=True).status == LiveStatus.ENDED

        # SeaweedFS: the recording IVS wrote; then "Recording End" through the webhook.
        ivs_id = channel["arn"].rsplit("/", 1)[1]
        prefix = f"ivs/v1/{ACCOUNT}/{ivs_id}/2026/12/3/16/5/{secrets.token_hex(6)}"
        folder = f"{prefix}/media/hls"
        master = MASTER.replace(b"master_720p.m3u8", b"720p30/playlist.m3u8")
        put_media(
            {
                f"{folder}/master.m3u8": master,
                f"{folder}/720p30/playlist.m3u8": RENDITION.replace(b"master_720p_", b""),
                f"{folder}/720p30/00001.ts": b"\x47" * 188,
                f"{prefix}/events/recording-ended.json": b"{}",
            }
        )
        recorded = recording_event(
            channel["arn"],
            bucket=settings.S3_MEDIA_BUCKET,
            key=prefix,
            recording_duration_ms=6000,
            channel_name=channel["name"],
            stream_id="st-1E2E",
        )
        assert post_event(client, recorded).json() == {"result": "applied"}
        replay_id = session_get(stream_id, consistent=True).replay_video_id
        replay = video_get(replay_id, consistent=True)
        assert replay.status == VideoStatus.READY and replay.playlist_key == f"{folder}/master.m3u8"
        assert replay.title == "Launch day (replay)" and replay.duration_s == 6.0
        assert f'href="/watch/{replay_id}/"'.encode() in Client().get(f"/live/{stream_id}/").content

        # The replay plays: cookies for the recording's folder; its files are in SeaweedFS.
        viewer = Client()
        watch = viewer.get(f"/watch/{replay_id}/")
        assert watch.status_code == 200
        assert_cookie_grant(watch, aws_mode.keys.public_key, folder=folder)
        rendition = viewer.get(f"/watch/{replay_id}/hls/720p30/playlist.m3u8")
        assert (
            rendition.status_code == 200
            and f"https://{CDN}/{folder}/720p30/00001.ts".encode() in rendition.content
        )

        # Stubber: the next go-live keeps the IVS channel; the old key goes, a new one comes.
        new_key = f"sk_us-east-1_{secrets.token_hex(8)}"
        new_key_arn = f"arn:aws:ivs:us-east-1:{ACCOUNT}:stream-key/{secrets.token_hex(6)}"
        ivs.stubber.add_response("delete_stream_key", {}, {"arn": session.stream_key_arn})
        ivs.stubber.add_response(
            "create_stream_key",
            {"streamKey": {"arn": new_key_arn, "value": new_key, "channelArn": channel["arn"]}},
            {"channelArn": channel["arn"]},
        )
        again = client.post(
            "/studio/live/", {"channel_id": creator_channel.channel_id, "title": "Encore"}
        )
        assert again.status_code == 302, again.content[:300]
        second = session_get(again.url.rstrip("/").rsplit("/", 1)[1], consistent=True)
        assert second.stream_id != stream_id and second.channel_arn == channel["arn"]
        assert (second.stream_key, second.stream_key_arn) == (new_key, new_key_arn)
        assert len(ivs.moto.list_channels()["channels"]) == 1
        ivs.stubber.assert_no_pending_responses()
