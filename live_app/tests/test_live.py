"""Live sessions: creation, secrets, key rotation, event ordering, and the real local
ingest (nginx-rtmp) with an ffmpeg publisher, through to the replay."""

import io
import socket
import subprocess
import threading
import time
from http.server import ThreadingHTTPServer

import pytest
from django.conf import settings
from django.core.management import call_command

from conftest import make_user, sign_in
from live_app import services
from live_app.ingest import IngestServer, callback_body_length, callback_handler_for
from live_app.models import LiveStatus
from live_app.selectors import session_get
from live_app.tests.events import stream_event
from live_app.tests.publisher import publisher_command
from social_app.fanout import fanout_run_once
from social_app.models import Notification, Subscription
from social_app.services import subscription_set
from videoplatform.aws import s3_client
from videoplatform.errors import ApplicationError, PermissionDenied
from videoplatform.events import handle_event, make_event
from videoplatform.local_servers import free_port
from videos_app import services as video_services
from videos_app.models import Video, VideoStatus
from videos_app.replays import replay_video_id
from videos_app.selectors import video_get
from videos_app.worker import TranscodeWorker


def recording_event(channel_arn, *, bucket, key, **detail):
    """An IVS Recording End event for the recording under ``key`` in ``bucket``."""
    return make_event(
        source="aws.ivs",
        detail_type="IVS Recording State Change",
        detail={
            "recording_status": "Recording End",
            "recording_s3_bucket_name": bucket,
            "recording_s3_key_prefix": key,
            **detail,
        },
        resources=[channel_arn],
    )


def publish(rtmp_port: int, key: str, seconds: float, *, wait: bool = True):
    process = subprocess.Popen(
        publisher_command(f"rtmp://127.0.0.1:{rtmp_port}/live/{key}", seconds=seconds),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if wait:
        process.wait(timeout=seconds + 30)
    return process


def wait_until(predicate, timeout=30.0, step=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return None


class TestSessions:
    def test_go_live_shows_key_only_to_owner(self, client, creator, session):
        """The studio page shows the ingest URL and key to the owner; others get 403 and the
        public live page never contains the key."""
        sign_in(client, creator)
        page = client.get(f"/studio/live/{session.stream_id}/").content.decode()
        assert session.stream_key in page and session.ingest_url in page
        client.post("/accounts/logout/")
        sign_in(client, make_user())
        assert client.get(f"/studio/live/{session.stream_id}/").status_code == 403
        public = client.get(f"/live/{session.stream_id}/").content.decode()
        assert session.stream_key not in public and "Offline" in public

    def test_go_live_form(self, client, creator, creator_channel):
        """Posting "Go live" creates a session and redirects to its studio page."""
        sign_in(client, creator)
        response = client.post(
            "/studio/live/", {"channel_id": creator_channel.channel_id, "title": "Hello"}
        )
        assert response.status_code == 302 and "/studio/live/" in response["Location"]

    def test_other_users_session_on_studio_urls(self, client, session):
        """Another user's stream id on the studio URLs: 403 and the key is unchanged."""
        sign_in(client, make_user())
        assert client.get(f"/studio/live/{session.stream_id}/").status_code == 403
        assert client.post(f"/studio/live/{session.stream_id}/rotate-key/").status_code == 403
        assert session_get(session.stream_id, consistent=True).stream_key == session.stream_key

    def test_go_live_on_someone_elses_channel(self, creator_channel):
        """Creating a session for a channel you do not own is refused."""
        with pytest.raises(ApplicationError, match="your channels"):
            services.live_session_create(
                actor=make_user(), channel_id=creator_channel.channel_id, title="x"
            )

    def test_rotate_key(self, creator, session):
        """Rotation gives a new key; the old key no longer authorizes a publisher."""
        old_key = session.stream_key
        rotated = services.live_rotate_key(actor=creator, session=session)
        assert rotated.stream_key != old_key
        with pytest.raises(PermissionDenied):
            services.live_authorize_publish(stream_key=old_key)
        assert (
            services.live_authorize_publish(stream_key=rotated.stream_key).stream_id
            == session.stream_id
        )

    def test_rotate_while_live_refused(self, creator, session):
        """Rotating the key while live is refused with a clear message; the key is kept."""
        assert handle_event(stream_event(session, "Stream Start")) == "applied"
        with pytest.raises(ApplicationError, match="stop streaming"):
            services.live_rotate_key(
                actor=creator, session=session_get(session.stream_id, consistent=True)
            )
        assert session_get(session.stream_id, consistent=True).stream_key == session.stream_key

    def test_repr_hides_the_key(self, session):
        """A session printed in a log or traceback does not show its stream key."""
        assert session.stream_key not in repr(session)

    def test_second_publisher_refused(self, session):
        """Once live, the same key cannot authorize another publisher."""
        handle_event(stream_event(session, "Stream Start"))
        with pytest.raises(PermissionDenied, match="already live"):
            services.live_authorize_publish(stream_key=session.stream_key)


class TestStreamEvents:
    def test_replayed_events_apply_once(self, session):
        """Stream Start delivered three times moves created -> live once."""
        event = stream_event(session, "Stream Start")
        assert [handle_event(event) for _ in range(3)] == ["applied", "duplicate", "duplicate"]
        assert session_get(session.stream_id, consistent=True).status == LiveStatus.LIVE

    def test_late_start_after_end_is_ignored(self, session):
        """Out of order: End first (created -> ended), then a late Start changes nothing."""
        assert handle_event(stream_event(session, "Stream End")) == "applied"
        assert handle_event(stream_event(session, "Stream Start")) == "ignored"
        assert session_get(session.stream_id, consistent=True).status == LiveStatus.ENDED

    def test_recording_end_for_unknown_session(self):
        """A Recording End for a channel we do not know creates nothing."""
        event = recording_event(
            "arn:aws:ivs:us-east-1:123:channel/unknown", bucket="b", key="ivs/v1/x"
        )
        assert handle_event(event) == "ignored"

    def test_ivs_recording_becomes_ready_replay(self, session):
        """On IVS, Recording End publishes the recording's HLS as the replay, once."""

        def event():
            return recording_event(
                session.channel_arn,
                bucket=settings.S3_MEDIA_BUCKET,
                key="ivs/v1/123/abc/2026/11/25/10/0/rec1",
                recording_duration_ms=60000,
            )

        assert handle_event(event()) == "applied"
        assert handle_event(event()) == "ignored"  # a second event for the same recording
        replay = video_get(
            session_get(session.stream_id, consistent=True).replay_video_id, consistent=True
        )
        assert replay.status == VideoStatus.READY and replay.title == "Morning show (replay)"
        assert replay.playlist_key == "ivs/v1/123/abc/2026/11/25/10/0/rec1/media/hls/master.m3u8"

    def test_a_replay_never_queued_is_found_by_reconcile(self, creator, session, monkeypatch):
        """The process handling Recording End dies at its first write after creating the
        replay: the replay was created pending, so reconcile finds it and queues it."""

        def die(self, *args, **kwargs):
            raise RuntimeError("the process died here")

        monkeypatch.setattr(Video, "update", die)
        event = recording_event(
            session.channel_arn,
            bucket=settings.S3_RAW_BUCKET,
            key=f"live/{session.stream_id}/recording.flv",
        )
        with pytest.raises(RuntimeError):
            handle_event(event)
        # The replay's id follows from the stream, so a second try finds this one.
        replay_id = replay_video_id(session.stream_id)
        assert video_get(replay_id, consistent=True).status == VideoStatus.UPLOADED
        monkeypatch.undo()
        call_command("reconcile_transcodes", stdout=io.StringIO())
        replay = video_get(replay_id, consistent=True)
        assert replay.status == VideoStatus.QUEUED
        video_services.video_delete(actor=creator, video=replay)

    def test_subscribers_notified_when_live(self, creator_channel, session):
        """Subscribers with notifications on get "<channel> is live" from the fan-out job the
        Stream Start event enqueues (not inside the webhook); with none they do not."""
        fan, quiet = make_user(), make_user()
        subscription_set(user=fan, channel_id=creator_channel.channel_id, subscribed=True)
        subscription_set(user=quiet, channel_id=creator_channel.channel_id, subscribed=True)
        Subscription(quiet.user_id, creator_channel.channel_id).update(
            actions=[Subscription.notify.set("none")]
        )
        handle_event(stream_event(session, "Stream Start"))
        # The webhook only enqueued the fan-out; nobody is told until a worker runs it.
        assert not any("is live" in n.text for n in Notification.query(fan.user_id))
        while fanout_run_once(worker_id="test"):
            pass
        texts = [n.text for n in Notification.query(fan.user_id)]
        assert any("is live" in text for text in texts)
        assert not any("is live" in n.text for n in Notification.query(quiet.user_id))


@pytest.fixture
def ingest(tmp_path):
    server = IngestServer(
        rtmp_host="127.0.0.1",
        rtmp_port=free_port(),
        callback_port=free_port(),
        work_dir=tmp_path / "live",
    )
    server.start()
    yield server
    server.stop()


def test_a_recording_left_by_a_stopped_ingest_becomes_the_replay(tmp_path, creator, session):
    """The ingest stopped before uploading a recording: the next start uploads it and the
    stream gets its replay. The key is read from nginx's file name (keys may hold '-')."""
    server = IngestServer(
        rtmp_host="127.0.0.1",
        rtmp_port=free_port(),
        callback_port=free_port(),
        work_dir=tmp_path / "live",
    )
    server.rec_dir.mkdir(parents=True)
    leftover = server.rec_dir / f"{session.stream_key}-1700000000.flv"
    leftover.write_bytes(b"FLV\x01 recording bytes")
    unknown = server.rec_dir / "sk_nobody-1700000001.flv"
    unknown.write_bytes(b"FLV")
    assert server.recover_recordings([leftover, unknown]) == 1
    assert not leftover.exists() and unknown.exists()
    replay_id = session_get(session.stream_id, consistent=True).replay_video_id
    replay = video_get(replay_id, consistent=True)
    assert replay.source_key.startswith(f"recordings/{session.stream_id}/")
    assert replay.status == VideoStatus.QUEUED
    stored = s3_client().get_object(Bucket=settings.S3_RAW_BUCKET, Key=replay.source_key)
    assert stored["Body"].read() == b"FLV\x01 recording bytes"
    video_services.video_delete(actor=creator, video=replay)


class TestLocalIngest:
    def test_wrong_key_refused_at_connect(self, ingest, session):
        """A publisher with an unknown key is refused by the ingest and nothing changes."""
        process = publish(ingest.rtmp_port, "sk_not-a-real-key", 2)
        assert process.returncode != 0
        assert session_get(session.stream_id, consistent=True).status == LiveStatus.CREATED

    def test_publish_live_end_and_replay(self, client, ingest, session):
        """A real RTMP publisher: the session goes live with HLS in the bucket, the live
        playlist is served signed, the end is noticed, and the recording becomes a ready replay."""
        process = publish(ingest.rtmp_port, session.stream_key, 6, wait=False)
        live = wait_until(
            lambda: session_get(session.stream_id, consistent=True).status == LiveStatus.LIVE,
            timeout=20,
        )
        assert live, "the session never went live"
        playlist = client.get(f"/live/{session.stream_id}/hls/index.m3u8")
        assert playlist.status_code == 200 and "X-Amz-Signature" in playlist.content.decode()
        second = publish(ingest.rtmp_port, session.stream_key, 2)
        assert second.returncode != 0, "a second publisher on a live key was accepted"
        process.wait(timeout=40)
        ended = wait_until(
            lambda: (
                (s := session_get(session.stream_id, consistent=True)).status == LiveStatus.ENDED
                and s.replay_video_id
            ),
            timeout=30,
        )
        assert ended, "the end of the stream was not noticed or no replay was made"
        # The replay is created, then queued: the worker can only claim it after that.
        replay_id = session_get(session.stream_id, consistent=True).replay_video_id
        queued = wait_until(
            lambda: video_get(replay_id, consistent=True).status != VideoStatus.UPLOADED,
            timeout=30,
        )
        assert queued, "the replay was never queued"
        worker = TranscodeWorker()
        while worker.run_once():
            pass
        replay = video_get(
            session_get(session.stream_id, consistent=True).replay_video_id, consistent=True
        )
        assert replay.status == VideoStatus.READY, replay.status_reason
        assert (
            replay.title == "Morning show (replay)" and replay.duration_s and replay.duration_s > 3
        )
        page = client.get(f"/live/{session.stream_id}/").content.decode()
        assert "Watch the replay" in page


class TestCallbackBodies:
    @pytest.fixture
    def callbacks(self, tmp_path):
        """The ingest's callback server alone (no nginx), on a free port."""
        server = IngestServer(
            rtmp_host="127.0.0.1",
            rtmp_port=free_port(),
            callback_port=free_port(),
            work_dir=tmp_path / "live",
        )
        http = ThreadingHTTPServer(
            ("127.0.0.1", server.callback_port), callback_handler_for(server)
        )
        thread = threading.Thread(target=http.serve_forever, daemon=True)
        thread.start()
        self.server = server
        yield server.callback_port
        http.shutdown()
        http.server_close()

    def _post(self, port, path, body):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(
                f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
                f"Content-Type: application/x-www-form-urlencoded\r\n\r\n{body}".encode()
            )
            return sock.recv(200).decode()

    def test_a_caller_without_the_run_secret_cannot_end_a_stream(self, callbacks):
        """Anyone on the machine who knows a stream key used to end that stream with a
        direct publish_done; only the nginx this run configured knows the secret path."""
        ended = []
        self.server.on_publish_done = ended.append
        self.server.on_publish = lambda name: ended.append(("publish", name)) or True
        for path in ("/publish_done", "/publish", "/wrong-secret/publish_done"):
            answer = self._post(callbacks, path, "name=sk_known_key")
            assert " 403 " in answer.split("\r\n")[0], answer
        time.sleep(0.2)
        assert ended == []
        answer = self._post(
            callbacks, f"/{self.server.callback_secret}/publish_done", "name=sk_known_key"
        )
        assert " 200 " in answer.split("\r\n")[0], answer
        deadline = time.time() + 5
        while not ended and time.time() < deadline:
            time.sleep(0.05)
        assert ended == ["sk_known_key"]

    def test_nginx_is_configured_with_the_secret_and_each_run_has_its_own(self, tmp_path):
        servers = [
            IngestServer(
                rtmp_host="127.0.0.1",
                rtmp_port=free_port(),
                callback_port=free_port(),
                work_dir=tmp_path / f"live{n}",
            )
            for n in range(2)
        ]
        first, second = servers
        assert first.callback_secret != second.callback_secret
        assert len(first.callback_secret) >= 24
        config = first.config()
        for hook in ("on_publish", "on_publish_done", "on_record_done"):
            line = next(x for x in config.splitlines() if x.strip().startswith(hook + " "))
            assert f"/{first.callback_secret}/" in line

    @pytest.mark.parametrize("length", ["-1", "abc", str(10 * 1024 * 1024)])
    def test_bad_content_length_is_refused_at_once(self, callbacks, length):
        """A negative, non-numeric or oversized Content-Length gets a 400 straight away
        (a negative one used to hang the handler thread waiting for the connection to end)."""
        with socket.create_connection(("127.0.0.1", callbacks), timeout=5) as sock:
            sock.sendall(
                f"POST /publish HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n".encode()
            )
            answer = sock.recv(200).decode()
        assert answer.startswith("HTTP/1.0 400") or answer.startswith("HTTP/1.1 400"), answer

    def test_callback_length_rule(self):
        """The rule itself: 0..64 KiB passes, anything else does not."""
        assert callback_body_length(None) == 0
        assert callback_body_length("120") == 120
        assert callback_body_length("-5") is None
        assert callback_body_length("1e3") is None
        assert callback_body_length(str(64 * 1024 + 1)) is None
