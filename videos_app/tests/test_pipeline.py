"""The video pipeline against the real servers: upload, worker, events, reconcile, playback."""

import io
import json
import re

import pytest
import requests
from django.core.management import call_command
from django.test import override_settings

from conftest import make_user, sign_in
from videoplatform.errors import ApplicationError
from videoplatform.events import handle_event, make_event
from videos_app import services
from videos_app.models import VideoStatus
from videos_app.selectors import video_get
from videos_app.tests.factories import make_uploaded_video, post_to_storage, start_upload
from videos_app.tests.media_samples import make_sample
from videos_app.worker import TranscodeWorker


@pytest.fixture(scope="module")
def sample_480p(tmp_path_factory):
    return make_sample(
        str(tmp_path_factory.mktemp("media") / "480p.mp4"), width=854, height=480, seconds=3
    )


def run_worker_until_idle(worker=None):
    worker = worker or TranscodeWorker()
    while worker.run_once():
        pass


class TestTranscodePipeline:
    def test_upload_transcode_publish_and_play(self, client, creator, creator_channel, sample_480p):
        """An uploaded 480p file becomes a ready, public, playable video with 2 renditions."""
        video = make_uploaded_video(actor=creator, channel=creator_channel, path=sample_480p)
        assert video.status == VideoStatus.QUEUED
        run_worker_until_idle()
        video = video_get(video.video_id, consistent=True)
        assert video.status == VideoStatus.READY, video.status_reason
        assert video.renditions == ["360p", "480p"]
        assert video.listed and video.public_channel_id == creator_channel.channel_id
        assert video.poster_key and video.playlist_key == f"hls/{video.video_id}/master.m3u8"

        page = client.get(f"/watch/{video.video_id}/")
        assert page.status_code == 200
        master = client.get(f"/watch/{video.video_id}/hls/master.m3u8")
        assert master.status_code == 200
        text = master.content.decode()
        assert "RESOLUTION=854x480" in text and "360p/index.m3u8" in text
        rendition = client.get(f"/watch/{video.video_id}/hls/360p/index.m3u8").content.decode()
        segment_urls = [line for line in rendition.splitlines() if line.startswith("http")]
        assert segment_urls and "X-Amz-Signature" in segment_urls[0]
        segment = requests.get(segment_urls[0], timeout=10)
        assert segment.status_code == 200 and segment.content[:1] == b"\x47"  # MPEG-TS sync byte
        unsigned = requests.get(segment_urls[0].split("?")[0], timeout=10)
        assert unsigned.status_code == 403

        home = client.get("/")
        assert video.video_id.encode() in home.content

    @override_settings(TRANSCODE_FRAME_BUFFER_MB=3)
    def test_frame_buffer_setting_bounds_the_relay(
        self, creator, creator_channel, sample_480p, monkeypatch
    ):
        """TRANSCODE_FRAME_BUFFER_MB is the relay's limit, and a small one still finishes."""
        from videos_app.transcoding import ffmpeg_encoder

        limits = []
        real_relay = ffmpeg_encoder._FrameRelay

        def recording_relay(*, limit_bytes, stop):
            limits.append(limit_bytes)
            return real_relay(limit_bytes=limit_bytes, stop=stop)

        monkeypatch.setattr(ffmpeg_encoder, "_FrameRelay", recording_relay)
        video = make_uploaded_video(actor=creator, channel=creator_channel, path=sample_480p)
        run_worker_until_idle()
        assert limits == [3 * 1024 * 1024]
        video = video_get(video.video_id, consistent=True)
        assert video.status == VideoStatus.READY, video.status_reason

    def test_not_a_video_fails_with_reason(self, creator, creator_channel, tmp_path):
        """A text file renamed .mp4 ends failed with a readable reason and a Retry offer."""
        path = tmp_path / "notes.mp4"
        path.write_text("these are my notes, not a video\n" * 50)
        video = make_uploaded_video(actor=creator, channel=creator_channel, path=str(path))
        run_worker_until_idle()
        video = video_get(video.video_id, consistent=True)
        assert video.status == VideoStatus.FAILED
        assert "not a video" in video.status_reason.lower()
        assert video.pending_partition is None

    def test_truncated_file_fails(self, creator, creator_channel, sample_480p, tmp_path):
        """A truncated mp4 ends failed with a reason, not a hung worker."""
        with open(sample_480p, "rb") as handle:
            data = handle.read()
        path = tmp_path / "cut.mp4"
        path.write_bytes(data[: len(data) // 2])
        video = make_uploaded_video(actor=creator, channel=creator_channel, path=str(path))
        run_worker_until_idle()
        video = video_get(video.video_id, consistent=True)
        assert video.status == VideoStatus.FAILED and video.status_reason

    def test_killed_worker_is_requeued_and_finishes(self, creator, creator_channel, sample_480p):
        """A worker that died holding the lease: reconcile requeues it and it ends ready."""
        video = make_uploaded_video(actor=creator, channel=creator_channel, path=sample_480p)
        assert services.video_claim(video=video, worker_id="dead-worker", job_id="local-dead")
        video = video_get(video.video_id, consistent=True)
        assert video.status == VideoStatus.PROCESSING
        # The dead worker's lease runs out.
        video.update(actions=[type(video).lease_expires_at.set(1)])
        call_command("reconcile_transcodes", stdout=__import__("io").StringIO())
        assert video_get(video.video_id, consistent=True).status == VideoStatus.QUEUED
        run_worker_until_idle()
        assert video_get(video.video_id, consistent=True).status == VideoStatus.READY

    def test_reconcile_every_keeps_going_through_a_failed_round(
        self, creator, creator_channel, sample_480p, monkeypatch
    ):
        """`--every` (what the local stack runs): a round that fails is logged and the next
        one still requeues the dead worker's video."""
        from videoplatform.management import reconcile as reconcile_base
        from videos_app.management.commands import reconcile_transcodes as command

        video = make_uploaded_video(actor=creator, channel=creator_channel, path=sample_480p)
        assert services.video_claim(video=video, worker_id="dead-worker", job_id="local-dead")
        video.update(actions=[type(video).lease_expires_at.set(1)])

        class Stop(Exception):
            pass

        rounds, sleeps = [], []
        real_round = command.Command.reconcile

        def first_round_fails(self, **kwargs):
            rounds.append(kwargs)
            if len(rounds) == 1:
                raise ConnectionError("DynamoDB blinked")
            return real_round(self, **kwargs)

        def sleep(seconds):
            sleeps.append(seconds)
            if len(sleeps) == 2:
                raise Stop

        monkeypatch.setattr(command.Command, "reconcile", first_round_fails)
        monkeypatch.setattr(reconcile_base.time, "sleep", sleep)
        with pytest.raises(Stop):
            call_command("reconcile_transcodes", "--every", "5", stdout=io.StringIO())
        assert len(rounds) == 2 and sleeps == [5.0, 5.0]
        assert video_get(video.video_id, consistent=True).status == VideoStatus.QUEUED
        run_worker_until_idle()
        assert video_get(video.video_id, consistent=True).status == VideoStatus.READY

    def test_a_stopping_worker_hands_its_video_back_at_once(
        self, creator, creator_channel, tmp_path
    ):
        """Told to stop mid-transcode (SIGTERM, e.g. Ctrl-C on make run), the worker stops
        ffmpeg and puts the video back in the queue without counting the attempt, so the
        next worker takes it up at once instead of after the lease runs out."""
        import threading
        import time

        from videos_app.models import PENDING

        path = make_sample(str(tmp_path / "long.mp4"), width=854, height=480, seconds=40)
        video = make_uploaded_video(actor=creator, channel=creator_channel, path=path)
        worker = TranscodeWorker()
        thread = threading.Thread(target=worker.run_forever, kwargs={"poll_s": 0.2}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            current = video_get(video.video_id, consistent=True)
            if current.status == VideoStatus.PROCESSING and current.progress > 0:
                break
            time.sleep(0.2)
        else:
            pytest.fail("the worker never got going")
        worker.stopping.set()
        thread.join(timeout=15)
        assert not thread.is_alive(), "the worker did not stop within 15 s"
        released = video_get(video.video_id, consistent=True)
        assert released.status == VideoStatus.QUEUED, released.status_reason
        assert released.lease_owner is None and released.attempts == 0
        assert released.pending_partition.startswith(PENDING + "#")
        run_worker_until_idle()
        assert video_get(video.video_id, consistent=True).status == VideoStatus.READY

    @override_settings(TRANSCODE_MAX_ATTEMPTS=1)
    def test_too_many_attempts_fail(self, creator, creator_channel, sample_480p):
        """A video whose lease expired after the last allowed attempt fails with a reason."""
        video = make_uploaded_video(actor=creator, channel=creator_channel, path=sample_480p)
        assert services.video_claim(video=video, worker_id="dead", job_id="local-x")
        video.update(actions=[type(video).lease_expires_at.set(1)])
        out = __import__("io").StringIO()
        call_command("reconcile_transcodes", "--dry-run", stdout=out)
        assert video_get(video.video_id, consistent=True).status == VideoStatus.PROCESSING
        call_command("reconcile_transcodes", stdout=out)
        video = video_get(video.video_id, consistent=True)
        assert video.status == VideoStatus.FAILED and "attempts" in video.status_reason


class TestEvents:
    def _event(self, video, status, **extra):
        detail = {
            "jobId": video.job_id,
            "status": status,
            "userMetadata": {"video_id": video.video_id},
            **extra,
        }
        return make_event(
            source="aws.mediaconvert", detail_type="MediaConvert Job State Change", detail=detail
        )

    def _queued(self, creator, creator_channel):
        video, post = start_upload(actor=creator, channel=creator_channel, size=5)
        assert post_to_storage(post, b"12345").status_code in (200, 201, 204)
        services.video_mark_uploaded(actor=creator, video=video)
        video = video_get(video.video_id, consistent=True)
        assert services.video_claim(video=video, worker_id="w", job_id="job-1")
        return video_get(video.video_id, consistent=True)

    def test_replayed_event_applies_once(self, creator, creator_channel):
        """The same COMPLETE event three times: applied once, then acknowledged as duplicate."""
        video = self._queued(creator, creator_channel)
        playlist = f"s3://{__import__('django.conf').conf.settings.S3_MEDIA_BUCKET}/hls/{video.video_id}/master.m3u8"
        event = self._event(
            video,
            "COMPLETE",
            outputGroupDetails=[{"type": "HLS_GROUP", "playlistFilePaths": [playlist]}],
        )
        assert [handle_event(event) for _ in range(3)] == ["applied", "duplicate", "duplicate"]
        video = video_get(video.video_id, consistent=True)
        assert video.status == VideoStatus.READY

    def test_complete_after_error_is_ignored(self, creator, creator_channel):
        """An out-of-order COMPLETE after ERROR leaves the video failed."""
        video = self._queued(creator, creator_channel)
        assert handle_event(self._event(video, "ERROR", errorMessage="Bad input")) == "applied"
        late = self._event(
            video,
            "COMPLETE",
            outputGroupDetails=[{"type": "HLS_GROUP", "playlistFilePaths": ["s3://x/y.m3u8"]}],
        )
        assert handle_event(late) == "ignored"
        video = video_get(video.video_id, consistent=True)
        assert video.status == VideoStatus.FAILED and video.status_reason == "Bad input"

    def test_progress_after_complete_does_not_go_back(self, creator, creator_channel):
        """A late PROGRESSING after COMPLETE leaves the video ready."""
        video = self._queued(creator, creator_channel)
        from django.conf import settings

        playlist = f"s3://{settings.S3_MEDIA_BUCKET}/hls/{video.video_id}/master.m3u8"
        handle_event(
            self._event(
                video,
                "COMPLETE",
                outputGroupDetails=[{"type": "HLS_GROUP", "playlistFilePaths": [playlist]}],
            )
        )
        assert (
            handle_event(self._event(video, "PROGRESSING", jobProgress={"jobPercentComplete": 40}))
            == "ignored"
        )
        assert video_get(video.video_id, consistent=True).status == VideoStatus.READY

    def test_event_for_unknown_job_is_ignored(self, creator, creator_channel):
        """An event whose jobId is not the video's current job changes nothing."""
        video = self._queued(creator, creator_channel)
        event = self._event(video, "ERROR", errorMessage="x")
        event["detail"]["jobId"] = "some-other-job"
        assert handle_event(event) == "ignored"
        assert video_get(video.video_id, consistent=True).status == VideoStatus.PROCESSING

    def test_webhook_rejects_forged_secret(self, client, creator, creator_channel):
        """A webhook POST with a wrong secret is refused (403) and changes nothing."""
        video = self._queued(creator, creator_channel)
        body = json.dumps(self._event(video, "ERROR", errorMessage="forged"))
        response = client.post(
            "/hooks/aws/events/",
            body,
            content_type="application/json",
            HTTP_X_EVENTS_SECRET="wrong",
        )
        assert response.status_code == 403
        missing = client.post("/hooks/aws/events/", body, content_type="application/json")
        assert missing.status_code == 403
        assert video_get(video.video_id, consistent=True).status == VideoStatus.PROCESSING

    def test_webhook_applies_and_dedupes(self, client, creator, creator_channel, settings):
        """With the right secret the event applies; a replay of it answers duplicate."""
        video = self._queued(creator, creator_channel)
        body = json.dumps(self._event(video, "ERROR", errorMessage="MediaConvert error 1040"))
        headers = {"HTTP_X_EVENTS_SECRET": settings.EVENTS_WEBHOOK_SECRET}
        first = client.post("/hooks/aws/events/", body, content_type="application/json", **headers)
        again = client.post("/hooks/aws/events/", body, content_type="application/json", **headers)
        assert first.json() == {"result": "applied"} and again.json() == {"result": "duplicate"}
        assert video_get(video.video_id, consistent=True).status == VideoStatus.FAILED

    def test_webhook_rejects_garbage(self, client, settings):
        """Malformed JSON or an unsupported event kind gets 400, not 500."""
        headers = {"HTTP_X_EVENTS_SECRET": settings.EVENTS_WEBHOOK_SECRET}
        assert (
            client.post(
                "/hooks/aws/events/", "{not json", content_type="application/json", **headers
            ).status_code
            == 400
        )
        other = json.dumps(
            {"id": "x1", "source": "aws.s3", "detail-type": "Object Created", "detail": {}}
        )
        assert (
            client.post(
                "/hooks/aws/events/", other, content_type="application/json", **headers
            ).status_code
            == 400
        )


class TestUploadBadInput:
    def test_over_limit_refused_by_storage(self, creator, creator_channel, settings):
        """Over the limit: S3 itself refuses the POST; "complete" says it did not arrive."""
        settings.VIDEO_MAX_BYTES = 100
        video, post = start_upload(actor=creator, channel=creator_channel, size=50)
        response = post_to_storage(post, b"x" * 500)
        assert response.status_code == 400 and "EntityTooLarge" in response.text
        with pytest.raises(ApplicationError, match="did not arrive"):
            services.video_mark_uploaded(actor=creator, video=video)
        assert video_get(video.video_id, consistent=True).status == VideoStatus.UPLOADING

    def test_declared_size_over_limit(self, creator, creator_channel, settings):
        """Declaring a size over the limit is refused before any upload URL is made."""
        settings.VIDEO_MAX_BYTES = 100
        with pytest.raises(ApplicationError, match="too big"):
            start_upload(actor=creator, channel=creator_channel, size=101)

    def test_non_video_content_type_refused_by_policy(self, creator, creator_channel):
        """Posting with a non-video Content-Type violates the policy and is refused by S3."""
        video, post = start_upload(actor=creator, channel=creator_channel, size=5)
        response = post_to_storage(post, b"12345", content_type="text/html")
        assert response.status_code == 403

    def test_empty_file_refused(self, creator, creator_channel):
        """An empty file is refused at creation (size 0)."""
        with pytest.raises(ApplicationError, match="empty"):
            start_upload(actor=creator, channel=creator_channel, size=0)

    def test_complete_without_object(self, creator, creator_channel):
        """ "Upload complete" for an object that is not there: clear message, video unchanged."""
        video, _ = start_upload(actor=creator, channel=creator_channel, size=5)
        with pytest.raises(ApplicationError, match="did not arrive"):
            services.video_mark_uploaded(actor=creator, video=video)
        assert video_get(video.video_id, consistent=True).status == VideoStatus.UPLOADING

    def test_expired_policy_refused(self, creator, creator_channel, settings):
        """A POST after the presigned policy expired is refused by S3."""
        settings.UPLOAD_URL_EXPIRY_S = -5
        video, post = start_upload(actor=creator, channel=creator_channel, size=5)
        response = post_to_storage(post, b"12345")
        assert response.status_code in (400, 403), response.text

    def test_upload_into_someone_elses_channel(self, creator, creator_channel):
        """Uploading into another user's channel is refused."""
        intruder = make_user()
        with pytest.raises(ApplicationError, match="your channels"):
            start_upload(actor=intruder, channel=creator_channel)

    def test_title_script_is_escaped(self, client, creator, creator_channel):
        """A <script> title is stored as text and rendered escaped in the studio."""
        video, _ = start_upload(
            actor=creator, channel=creator_channel, title="<script>alert(1)</script>"
        )
        sign_in(client, creator)
        page = client.get("/studio/videos/").content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page

    def test_upload_button_waits_for_the_page_script(self, client, creator, creator_channel):
        """Sent before upload.js runs, the form would carry no file: the button starts
        disabled and the script enables it (the browser tests click it)."""
        sign_in(client, creator)
        page = client.get("/studio/upload/").content.decode()
        assert re.search(r'<button type="submit" id="upload-button" disabled>', page)


class TestStudioAuthorization:
    @pytest.mark.parametrize(
        "method,path",
        [
            ("post", "/studio/videos/{id}/uploaded/"),
            ("post", "/studio/videos/{id}/cancel/"),
            ("post", "/studio/videos/{id}/upload-parts/"),
            ("get", "/studio/videos/{id}/status/"),
            ("get", "/studio/videos/{id}/edit/"),
            ("post", "/studio/videos/{id}/edit/"),
            ("post", "/studio/videos/{id}/delete/"),
            ("post", "/studio/videos/{id}/retry/"),
        ],
    )
    def test_other_users_video_id(self, client, creator, creator_channel, method, path):
        """Another user's video id on a studio URL answers 403/404 and changes nothing."""
        video, _ = start_upload(actor=creator, channel=creator_channel, title="Mine")
        sign_in(client, make_user())
        response = getattr(client, method)(
            path.format(id=video.video_id),
            {"title": "Hacked", "description": "", "visibility": "private"},
        )
        assert response.status_code in (403, 404)
        after = video_get(video.video_id, consistent=True)
        assert after is not None and after.title == "Mine" and after.status == VideoStatus.UPLOADING

    def test_private_video_hidden_from_others(self, client, creator, creator_channel):
        """A private video's watch page and playlist are 404 for others, 200 for the owner."""
        video, _ = start_upload(actor=creator, channel=creator_channel, visibility="private")
        assert client.get(f"/watch/{video.video_id}/").status_code == 404
        sign_in(client, make_user())
        assert client.get(f"/watch/{video.video_id}/").status_code == 404
        client.post("/accounts/logout/")
        sign_in(client, creator)
        assert client.get(f"/watch/{video.video_id}/").status_code == 200

    def test_playlist_path_traversal(self, client, creator, creator_channel, sample_480p):
        """A playlist name with .. or an absolute path is 404."""
        video = make_uploaded_video(actor=creator, channel=creator_channel, path=sample_480p)
        run_worker_until_idle()
        for name in ["../../raw/x/source.m3u8", "..%2F..%2Fmaster.m3u8", "360p/../../x.m3u8"]:
            assert client.get(f"/watch/{video.video_id}/hls/{name}").status_code == 404


def test_unlisted_not_in_feed(creator, creator_channel, sample_480p, client):
    """An unlisted video is ready and watchable by link but not on the home page or channel page."""
    video = make_uploaded_video(
        actor=creator, channel=creator_channel, path=sample_480p, visibility="unlisted"
    )
    run_worker_until_idle()
    video = video_get(video.video_id, consistent=True)
    assert video.status == VideoStatus.READY and not video.listed
    assert client.get(f"/watch/{video.video_id}/").status_code == 200
    assert video.video_id.encode() not in client.get("/").content
    assert not re.search(
        video.video_id, client.get(f"/c/{creator_channel.handle}/").content.decode()
    )
