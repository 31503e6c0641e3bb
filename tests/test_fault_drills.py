"""Fault drills: the real dependencies fail while the app runs, and the app copes.

DynamoDB Local and SeaweedFS are taken away through a TCP relay (their in-memory data
survives, the port just closes); a real ``transcode_worker`` process is SIGKILLed in the
middle of an encode; an AWS event is delivered three times over the webhook.
"""

import io
import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from channels_app.selectors import channel_get
from conftest import STRONG_PASSWORD, make_channel, make_user, sign_in
from live_app import services as live_services
from live_app.models import LiveStatus
from live_app.selectors import session_get
from social_app.fanout import fanout_run_once
from social_app.models import Comment, Notification
from social_app.services import subscription_set
from social_app.tests.factories import make_ready_video
from videoplatform import storage
from videoplatform.dynamodb import now_s
from videoplatform.events import make_event
from videoplatform.testing.requests import recording_aws_calls
from videos_app import services as video_services
from videos_app.keys import raw_key
from videos_app.models import UPLOADING, VideoStatus
from videos_app.selectors import video_get
from videos_app.tests.factories import make_uploaded_video, post_to_storage, start_upload
from videos_app.tests.media_samples import make_sample
from videos_app.worker import TranscodeWorker

UNAVAILABLE_PAGE = b"Temporarily unavailable"


def wait_until(predicate, *, timeout: float, step: float = 0.1):
    """Poll ``predicate`` until it returns something truthy; None after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return None


@contextmanager
def endpoints_used(service: str):
    """Collects the endpoint of every ``service`` API call (PynamoDB's and boto3's alike),
    so a drill can prove no code path went around its relay."""
    seen: set[str] = set()

    def record(client, operation_name):
        if client.meta.service_model.service_name == service:
            seen.add(client.meta.endpoint_url)

    with recording_aws_calls(record):
        yield seen


@pytest.fixture
def creator():
    return make_user(display_name="Drill Creator")


@pytest.fixture
def creator_channel(creator):
    return make_channel(owner=creator, name="Drill Channel")


@pytest.fixture
def creator_client(creator):
    return sign_in(Client(), creator)


def assert_unavailable_page(response, what: str) -> None:
    assert response.status_code == 503, f"{what}: {response.status_code}"
    assert UNAVAILABLE_PAGE in response.content, what
    assert b"Traceback" not in response.content, what


@pytest.fixture
def no_process_memory(settings):
    """Every read goes to DynamoDB: a page a process still holds in memory would be
    served for a few seconds while DynamoDB is down (by design), not tested here."""
    settings.VIDEO_CACHE_S = settings.SESSION_CACHE_S = settings.USER_CACHE_S = 0


class TestDynamoDBDown:
    def test_pages_answer_503_then_work_again_without_restart(
        self, client, creator, creator_channel, dynamodb_relay, no_process_memory
    ):
        """With DynamoDB's port closed, public and signed-in pages, a log-in and a comment
        POST get the clear 503 page and /readyz says 503; nothing the failed POST sent is
        stored; once the port is back the same process serves all of them again. Every
        DynamoDB call went through the relay, so none of this was answered from elsewhere."""
        video = make_ready_video(owner=creator, channel=creator_channel, title="Drill video")
        viewer = make_user(display_name="Drill Viewer")
        viewer_client = sign_in(Client(), viewer)
        public_pages = ["/", f"/watch/{video.video_id}/", f"/c/{creator_channel.handle}/"]
        signed_in_pages = ["/studio/", "/notifications/", "/feed/subscriptions/"]
        comment_url = f"/watch/{video.video_id}/comments/"
        for path in public_pages:
            assert client.get(path).status_code == 200, path
        for path in signed_in_pages:
            assert viewer_client.get(path).status_code == 200, path

        with endpoints_used("dynamodb") as endpoints:
            dynamodb_relay.stop()
            for path in public_pages:
                assert_unavailable_page(client.get(path), path)
            for path in signed_in_pages:
                assert_unavailable_page(viewer_client.get(path), path)
            login = client.post(
                "/accounts/login/", {"email": viewer.email, "password": STRONG_PASSWORD}
            )
            assert_unavailable_page(login, "log in")
            lost = viewer_client.post(comment_url, {"text": "written while down"})
            assert_unavailable_page(lost, "comment")
            health = client.get("/readyz")
            assert health.status_code == 503
            assert health.json()["dynamodb"] == "unavailable"

            dynamodb_relay.start()
            for path in public_pages:
                response = client.get(path)
                assert response.status_code == 200, path
                assert UNAVAILABLE_PAGE not in response.content, path
            for path in signed_in_pages:
                assert viewer_client.get(path).status_code == 200, path
            assert client.get("/readyz").json() == {
                "status": "ok",
                "dynamodb": "ok",
                "s3": "ok",
            }
            again = Client().post(
                "/accounts/login/", {"email": viewer.email, "password": STRONG_PASSWORD}
            )
            assert again.status_code == 302
            assert viewer_client.post(comment_url, {"text": "written when back"}).status_code in (
                200,
                302,
            )
        assert endpoints == {dynamodb_relay.url}

        texts = [c.text for c in Comment.query(video.video_id)]
        assert texts == ["written when back"]
        assert video_get(video.video_id, consistent=True, with_counts=True).comment_count == 1


class TestSeaweedFSDown:
    def _create(self, client, channel, *, title: str):
        """The upload page's create call, as its script sends it."""
        return client.post(
            "/studio/upload/",
            {
                "channel_id": channel.channel_id,
                "title": title,
                "description": "",
                "visibility": "public",
                "size": "5",
                "content_type": "video/mp4",
            },
        )

    def test_completion_says_storage_is_unavailable_and_upload_resumes(
        self, creator_client, creator, creator_channel, s3_relay
    ):
        """With S3's port closed, the upload page still opens and the create call signs
        the POST (no storage call needed); the file cannot reach storage and the "uploaded"
        call answers a JSON 503 saying storage is unavailable; the video stays "uploading"
        (not queued, not listed). When storage is back the same upload completes."""
        with endpoints_used("s3") as endpoints:
            s3_relay.stop()
            assert creator_client.get("/studio/upload/").status_code == 200
            created = self._create(creator_client, creator_channel, title="Upload while down")
            assert created.status_code == 200, created.content[:300]
            body = created.json()
            assert body["upload"]["url"].startswith(s3_relay.url)
            with pytest.raises(requests.ConnectionError):
                requests.post(
                    body["upload"]["url"],
                    data=body["upload"]["fields"],
                    files={"file": ("source.mp4", b"12345")},
                    timeout=10,
                )

            completed = creator_client.post(body["complete_url"])
            assert completed.status_code == 503
            assert completed["Content-Type"] == "application/json"
            assert "Storage is unavailable" in completed.json()["error"]

            video = video_get(body["video_id"], consistent=True)
            assert video.status == VideoStatus.UPLOADING
            # Waiting for its file (where the upload sweep looks), not queued, not listed.
            assert video.pending_partition.startswith(UPLOADING + "#") and not video.listed
            studio = creator_client.get("/studio/videos/")
            assert studio.status_code == 200
            assert b'data-status="uploading"' in studio.content

            s3_relay.start()
            stored = requests.post(
                body["upload"]["url"],
                data=body["upload"]["fields"],
                files={"file": ("source.mp4", b"12345")},
                timeout=10,
            )
            assert stored.status_code in (200, 201, 204), stored.text
            completed = creator_client.post(body["complete_url"])
            assert completed.status_code == 200, completed.content[:300]
            assert completed.json()["status"] in {"queued", "uploaded"}
        assert endpoints == {s3_relay.url}
        # Settle it so no later drill's worker picks up a five-byte "video".
        video = video_get(body["video_id"], consistent=True)
        video_services.video_delete(actor=creator, video=video)

    def test_page_script_path_leaves_no_half_written_video(
        self, creator_client, creator, creator_channel, s3_relay
    ):
        """The page's own failure path with S3 down: the file POST fails and the script
        calls cancel. Files are deleted before the item, so with storage down nothing is
        deleted: the video stays "uploading" (true: it has no file), the answer is a JSON
        503 the script can show, not a 500. Once storage is back the cancel goes through
        and nothing is left over: no item, no raw object, no row."""
        s3_relay.stop()
        created = self._create(creator_client, creator_channel, title="Cancelled while down")
        assert created.status_code == 200
        body = created.json()
        video_id = body["video_id"]
        with pytest.raises(requests.ConnectionError):
            requests.post(
                body["upload"]["url"],
                data=body["upload"]["fields"],
                files={"file": ("source.mp4", b"12345")},
                timeout=10,
            )
        cancelled = creator_client.post(body["cancel_url"])
        assert cancelled.status_code == 503
        assert cancelled["Content-Type"] == "application/json"
        assert "Storage is unavailable" in cancelled.json()["error"]
        assert video_get(video_id, consistent=True).status == "uploading"

        s3_relay.start()
        assert creator_client.post(body["cancel_url"]).status_code == 200
        assert video_get(video_id, consistent=True) is None
        assert storage.head_object(bucket=settings.S3_RAW_BUCKET, key=raw_key(video_id)) is None
        assert video_id.encode() not in creator_client.get("/studio/videos/").content
        # A retried cancel finds nothing to cancel rather than failing.
        assert creator_client.post(body["cancel_url"]).status_code == 404


def _process_group_runs_encoder(pgid: int) -> bool:
    """True while some process of the worker's group is an ffmpeg writing HLS."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) != pgid:
                continue
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, ProcessLookupError):
            continue
        if any(b"ffmpeg" in part for part in cmdline[:1]) and b"hls" in cmdline:
            return True
    return False


@pytest.fixture(scope="module")
def sample_360p(tmp_path_factory):
    return make_sample(
        str(tmp_path_factory.mktemp("drill") / "clip360.mp4"), width=640, height=360, seconds=6
    )


class TestWorkerKilled:
    def test_killed_worker_is_reconciled_to_ready(
        self, tmp_path, creator, creator_channel, sample_360p
    ):
        """A real `manage.py transcode_worker` (3 s lease) is SIGKILLed, with its ffmpeg,
        while encoding; once the lease expires `reconcile_transcodes` requeues the video
        and an in-process worker takes it to ready with a playable playlist."""
        video = make_uploaded_video(
            actor=creator, channel=creator_channel, path=sample_360p, title="Killed mid-transcode"
        )
        assert video.status == VideoStatus.QUEUED
        log_path = tmp_path / "worker.log"
        env = {
            **os.environ,
            "TRANSCODE_LEASE_S": "3",
            "TRANSCODE_WORK_DIR": str(tmp_path),
            "PYTHONUNBUFFERED": "1",
        }
        with open(log_path, "wb") as log:
            worker = subprocess.Popen(
                [sys.executable, "manage.py", "transcode_worker", "--poll", "0.2"],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: the kill takes ffmpeg too
            )
        try:
            mid_encode = wait_until(
                lambda: (
                    (current := video_get(video.video_id, consistent=True)).status
                    == VideoStatus.PROCESSING
                    and _process_group_runs_encoder(worker.pid)
                    and current
                ),
                timeout=120,
                step=0.05,
            )
            assert mid_encode, "the worker never started encoding:\n" + log_path.read_text()[-3000:]
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=10)
        assert worker.returncode == -signal.SIGKILL

        orphaned = video_get(video.video_id, consistent=True)
        assert orphaned.status == VideoStatus.PROCESSING, "finished before the kill; drill lost"
        assert f"-{worker.pid}-" in orphaned.lease_owner
        assert orphaned.attempts == 1

        # Nobody renews the lease now; reconcile must wait for it, then requeue.
        out = io.StringIO()
        call_command("reconcile_transcodes", stdout=out)
        if now_s() <= orphaned.lease_expires_at:
            assert f"{video.video_id} [processing] -> requeued" not in out.getvalue()
            assert video_get(video.video_id, consistent=True).status == VideoStatus.PROCESSING
        assert wait_until(lambda: now_s() > orphaned.lease_expires_at, timeout=15, step=0.2)
        out = io.StringIO()
        call_command("reconcile_transcodes", stdout=out)
        assert f"{video.video_id} [processing] -> requeued: lease expired" in out.getvalue()
        requeued = video_get(video.video_id, consistent=True)
        assert requeued.status == VideoStatus.QUEUED and requeued.lease_owner is None

        # Older leftovers in this session's queue may come first; each run_once takes one.
        worker_in_process = TranscodeWorker()
        for _ in range(20):
            if video_get(video.video_id, consistent=True).status == VideoStatus.READY:
                break
            assert worker_in_process.run_once(), "the requeued video was not picked up"
        ready = video_get(video.video_id, consistent=True)
        assert ready.status == VideoStatus.READY, ready.status_reason
        assert ready.attempts == 2
        assert ready.pending_partition is None and ready.lease_owner is None
        assert "360p" in ready.renditions
        assert storage.head_object(bucket=settings.S3_MEDIA_BUCKET, key=ready.playlist_key)
        playlist = Client().get(f"/watch/{video.video_id}/hls/master.m3u8")
        assert playlist.status_code == 200 and b"#EXTM3U" in playlist.content


def post_event(client, event: dict):
    return client.post(
        "/hooks/aws/events/",
        json.dumps(event),
        content_type="application/json",
        HTTP_X_EVENTS_SECRET=settings.EVENTS_WEBHOOK_SECRET,
    )


def drain_fanouts() -> None:
    """Run the fan-out jobs as the notification worker does, outside the webhook."""
    while fanout_run_once(worker_id="drill-drain"):
        pass


class TestEventReplayed:
    def test_transcode_complete_three_times_applies_once(self, client, creator, creator_channel):
        """A MediaConvert COMPLETE posted three times to the webhook: applied, duplicate,
        duplicate; the video is published once (channel count +1, one subscriber
        notification, the first publish time kept)."""
        subscriber = make_user()
        subscription_set(user=subscriber, channel_id=creator_channel.channel_id, subscribed=True)
        video, post = start_upload(actor=creator, channel=creator_channel, title="Replayed", size=5)
        assert post_to_storage(post, b"12345").status_code in (200, 201, 204)
        video_services.video_mark_uploaded(actor=creator, video=video)
        video = video_get(video.video_id, consistent=True)
        assert video_services.video_claim(video=video, worker_id="drill", job_id="job-drill")
        playlist = f"s3://{settings.S3_MEDIA_BUCKET}/hls/{video.video_id}/master.m3u8"
        event = make_event(
            source="aws.mediaconvert",
            detail_type="MediaConvert Job State Change",
            detail={
                "jobId": "job-drill",
                "status": "COMPLETE",
                "userMetadata": {"video_id": video.video_id},
                "outputGroupDetails": [{"type": "HLS_GROUP", "playlistFilePaths": [playlist]}],
            },
        )

        results = []
        published_at = []
        for _ in range(3):
            response = post_event(client, event)
            assert response.status_code == 200
            results.append(response.json()["result"])
            published_at.append(video_get(video.video_id, consistent=True).published_at)
            drain_fanouts()
        assert results == ["applied", "duplicate", "duplicate"]
        ready = video_get(video.video_id, consistent=True)
        assert ready.status == VideoStatus.READY
        assert ready.playlist_key == f"hls/{video.video_id}/master.m3u8"
        assert len(set(published_at)) == 1
        assert channel_get(creator_channel.channel_id, with_counts=True).video_count == 1
        about_it = [
            n for n in Notification.query(subscriber.user_id) if video.video_id in (n.link or "")
        ]
        assert len(about_it) == 1
        assert ready.pending_partition is None

    def test_stream_start_three_times_applies_once(self, client, creator, creator_channel):
        """An IVS Stream Start posted three times to the webhook: applied, duplicate,
        duplicate; the session goes live once and subscribers get one "is live" note."""
        subscriber = make_user()
        subscription_set(user=subscriber, channel_id=creator_channel.channel_id, subscribed=True)
        session = live_services.live_session_create(
            actor=creator, channel_id=creator_channel.channel_id, title="Replayed show"
        )
        event = make_event(
            source="aws.ivs",
            detail_type="IVS Stream State Change",
            detail={
                "event_name": "Stream Start",
                "channel_name": session.stream_id,
                "stream_id": "s1",
            },
            resources=[session.channel_arn],
        )

        results = []
        started_at = []
        for _ in range(3):
            response = post_event(client, event)
            assert response.status_code == 200
            results.append(response.json()["result"])
            started_at.append(session_get(session.stream_id, consistent=True).started_at)
            drain_fanouts()
        assert results == ["applied", "duplicate", "duplicate"]
        live = session_get(session.stream_id, consistent=True)
        assert live.status == LiveStatus.LIVE
        assert len(set(started_at)) == 1 and started_at[0]
        live_notes = [n for n in Notification.query(subscriber.user_id) if n.kind == "live"]
        assert len(live_notes) == 1
        assert session.stream_id in live_notes[0].link
