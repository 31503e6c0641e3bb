"""The MediaConvert backend wired to the video state (Stubber-validated requests), the
first-playable publication, studio polling, and CloudFront-signed media URLs."""

import io

import boto3
import pytest
from botocore.stub import ANY, Stubber
from django.conf import settings
from django.core.management import call_command

from conftest import sign_in
from videoplatform.events import handle_event, make_event
from videos_app import services, transcode_jobs
from videos_app.models import VideoStatus
from videos_app.selectors import video_get
from videos_app.states import pending_actions
from videos_app.tests.factories import post_to_storage, start_upload
from videos_app.transcoding.mediaconvert import MediaConvertClient
from videos_app.transcoding.mediaconvert_backend import MediaConvertTranscoder


@pytest.fixture
def mediaconvert(monkeypatch):
    """The MediaConvert backend on a stubbed client, as the transcoder the video state
    machine (``transcode_jobs``) uses."""
    client = boto3.client(
        "mediaconvert",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
    )
    with Stubber(client) as stubber:
        backend = MediaConvertTranscoder(
            client=MediaConvertClient(
                client=client,
                role_arn="arn:aws:iam::123456789012:role/MediaConvertRole",
                queue=None,
                app_tag="videoapp",
            )
        )
        monkeypatch.setattr(transcode_jobs, "get_transcoder", lambda: backend)
        yield backend, stubber
        stubber.assert_no_pending_responses()


def expect_probe(stubber, video):
    """MediaConvert probes the raw source first: a 1280x720 clip with sound."""
    stubber.add_response(
        "probe",
        {
            "ProbeResults": [
                {
                    "Container": {
                        "Duration": 42.5,
                        "Tracks": [
                            {
                                "TrackType": "video",
                                "VideoProperties": {"Width": 1280, "Height": 720},
                            },
                            {"TrackType": "audio", "AudioProperties": {"Channels": 2}},
                        ],
                    }
                }
            ]
        },
        {"InputFiles": [{"FileUrl": f"s3://{settings.S3_RAW_BUCKET}/raw/{video.video_id}/source"}]},
    )


def uploaded(creator, creator_channel):
    video, post = start_upload(actor=creator, channel=creator_channel, size=5)
    assert post_to_storage(post, b"12345").status_code in (200, 201, 204)
    return video


class TestMediaConvertBackend:
    def test_submit_creates_job_and_queues(self, creator, creator_channel, mediaconvert):
        """submit() sends a valid CreateJob for the raw key and stores the job id."""
        backend, stubber = mediaconvert
        video = uploaded(creator, creator_channel)
        expect_probe(stubber, video)
        stubber.add_response(
            "create_job",
            {"Job": {"Id": "1671476818694-abc", "Role": "r", "Settings": {}}},
            {
                "Role": "arn:aws:iam::123456789012:role/MediaConvertRole",
                "ClientRequestToken": video.video_id,
                "UserMetadata": {"video_id": video.video_id, "app": "videoapp"},
                "Settings": ANY,
                "StatusUpdateInterval": ANY,
            },
        )
        video.update(actions=pending_actions(video, VideoStatus.UPLOADED))
        services.video_submit(video=video)
        video = video_get(video.video_id, consistent=True)
        assert video.status == VideoStatus.QUEUED and video.job_id == "1671476818694-abc"
        # What the probe learnt is on the video before MediaConvert reports anything.
        assert (video.width, video.height, video.duration_s) == (1280, 720, 42.5)

    def test_unreadable_source_fails_the_video_with_a_reason(
        self, creator, creator_channel, mediaconvert
    ):
        """Probe refusing the file fails the video with a reason; no job is created."""
        backend, stubber = mediaconvert
        video = uploaded(creator, creator_channel)
        stubber.add_client_error(
            "probe", service_error_code="BadRequestException", http_status_code=400
        )
        video.update(actions=pending_actions(video, VideoStatus.UPLOADED))
        services.video_submit(video=video)
        video = video_get(video.video_id, consistent=True)
        assert video.status == VideoStatus.FAILED and not video.job_id
        assert video.status_reason == (
            "MediaConvert could not read this file as a video (BadRequestException)."
        )

    def test_reconcile_settles_complete_job(self, creator, creator_channel, mediaconvert):
        """A COMPLETE job whose event was missed is settled from GetJob: the video is ready."""
        backend, stubber = mediaconvert
        video = uploaded(creator, creator_channel)
        video.update(
            actions=[*pending_actions(video, VideoStatus.QUEUED), type(video).job_id.set("job-9")]
        )
        destination = f"s3://{settings.S3_MEDIA_BUCKET}/hls/{video.video_id}/master"
        stubber.add_response(
            "get_job",
            {
                "Job": {
                    "Id": "job-9",
                    "Role": "r",
                    "Status": "COMPLETE",
                    "Settings": {
                        "OutputGroups": [
                            {
                                "OutputGroupSettings": {
                                    "Type": "HLS_GROUP_SETTINGS",
                                    "HlsGroupSettings": {"Destination": destination},
                                }
                            },
                        ]
                    },
                }
            },
            {"Id": "job-9"},
        )
        outcome = services.video_reconcile(
            video=video_get(video.video_id, consistent=True), now=0, dry_run=False
        )
        assert "COMPLETE" in outcome
        video = video_get(video.video_id, consistent=True)
        assert video.status == VideoStatus.READY
        assert video.playlist_key == f"hls/{video.video_id}/master.m3u8"

    def test_reconcile_settles_error_job(self, creator, creator_channel, mediaconvert):
        """An ERROR job is settled as failed with MediaConvert's message."""
        backend, stubber = mediaconvert
        video = uploaded(creator, creator_channel)
        video.update(
            actions=[
                *pending_actions(video, VideoStatus.PROCESSING),
                type(video).job_id.set("job-e"),
            ]
        )
        stubber.add_response(
            "get_job",
            {
                "Job": {
                    "Id": "job-e",
                    "Role": "r",
                    "Status": "ERROR",
                    "Settings": {},
                    "ErrorCode": 1040,
                    "ErrorMessage": "Invalid input file",
                }
            },
            {"Id": "job-e"},
        )
        services.video_reconcile(
            video=video_get(video.video_id, consistent=True), now=0, dry_run=False
        )
        video = video_get(video.video_id, consistent=True)
        assert video.status == VideoStatus.FAILED and "Invalid input" in video.status_reason

    def test_refused_submit_stays_uploaded_for_reconcile(
        self, creator, creator_channel, mediaconvert
    ):
        """When CreateJob fails the video stays "uploaded" so reconcile can submit it again."""
        backend, stubber = mediaconvert
        video = uploaded(creator, creator_channel)
        video.update(actions=pending_actions(video, VideoStatus.UPLOADED))
        for _ in range(2):
            expect_probe(stubber, video)
            stubber.add_client_error(
                "create_job", service_error_code="TooManyRequestsException", http_status_code=429
            )
        assert backend.submit(video=video).accepted is False
        services.video_submit(video=video)
        assert video_get(video.video_id, consistent=True).status == VideoStatus.UPLOADED


class TestFirstPlayable:
    def test_progress_with_outputs_makes_it_playable(self, client, creator, creator_channel):
        """A PROGRESSING event carrying the first rung's playlist makes the watch page play
        while the video is still processing, before COMPLETE."""
        video = uploaded(creator, creator_channel)
        video.update(actions=pending_actions(video, VideoStatus.QUEUED))
        video = video_get(video.video_id, consistent=True)
        assert services.video_claim(video=video, worker_id="w", job_id="job-fp")
        detail = {
            "jobId": "job-fp",
            "status": "PROGRESSING",
            "userMetadata": {"video_id": video.video_id},
            "outputGroupDetails": [
                {
                    "type": "HLS_GROUP",
                    "playlistFilePaths": [
                        f"s3://{settings.S3_MEDIA_BUCKET}/hls/{video.video_id}/master.m3u8"
                    ],
                    "outputDetails": [{"videoDetails": {"widthInPx": 640, "heightInPx": 360}}],
                }
            ],
        }
        assert (
            handle_event(
                make_event(
                    source="aws.mediaconvert",
                    detail_type="MediaConvert Job State Change",
                    detail=detail,
                )
            )
            == "applied"
        )
        video = video_get(video.video_id, consistent=True)
        assert video.status == VideoStatus.PROCESSING and video.playlist_key
        page = client.get(f"/watch/{video.video_id}/").content.decode()
        assert 'id="player"' in page and "still being processed" in page


class TestStudioPolling:
    def test_row_polls_until_final(self, client, creator, creator_channel):
        """The studio row polls while pending and its final form carries no poll trigger."""
        video = uploaded(creator, creator_channel)
        sign_in(client, creator)
        pending = client.get(
            f"/studio/videos/{video.video_id}/status/", HTTP_HX_REQUEST="true"
        ).content.decode()
        assert 'hx-trigger="every 2s"' in pending
        services.video_fail(
            video=video, reason="Broken file", from_statuses=[VideoStatus.UPLOADING]
        )
        final = client.get(
            f"/studio/videos/{video.video_id}/status/", HTTP_HX_REQUEST="true"
        ).content.decode()
        assert "hx-trigger" not in final and "Broken file" in final and "Retry" in final


class TestCloudFrontUrls:
    def test_media_urls_are_cloudfront_signed(self, settings):
        """With a CDN configured, media URLs are CloudFront signed URLs for the CDN host."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        from videoplatform import storage

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ).decode()
        settings.CLOUDFRONT_DOMAIN = "media.example.com"
        settings.CLOUDFRONT_KEY_ID = "K2JCJMDEHXQW5F"
        settings.CLOUDFRONT_PRIVATE_KEY = pem
        storage.media_storage.cache_clear()
        try:
            url = storage.media_url("hls/abc/360p/seg_00000.ts")
        finally:
            storage.media_storage.cache_clear()
        assert url.startswith("https://media.example.com/hls/abc/360p/seg_00000.ts?")
        assert "Signature=" in url and "Key-Pair-Id=K2JCJMDEHXQW5F" in url and "Expires=" in url


def test_reconcile_dry_run_changes_nothing(creator, creator_channel):
    """--dry-run reports an expired lease but leaves the video as it was."""
    video = uploaded(creator, creator_channel)
    video.update(actions=pending_actions(video, VideoStatus.QUEUED))
    video = video_get(video.video_id, consistent=True)
    assert services.video_claim(video=video, worker_id="gone", job_id="j")
    video.update(actions=[type(video).lease_expires_at.set(1)])
    out = io.StringIO()
    call_command("reconcile_transcodes", "--dry-run", "-v", "2", stdout=out)
    assert video.video_id in out.getvalue()
    assert video_get(video.video_id, consistent=True).status == VideoStatus.PROCESSING
