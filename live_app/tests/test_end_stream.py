"""The owner's "End stream": the broadcast stopped through the live backend (IVS
StopStream; the local ingest drops the publisher through nginx-rtmp's control module),
the session ended at once, the replay made as after any stream."""

import subprocess
import time
from http.server import ThreadingHTTPServer
from threading import Thread
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import pytest
from django.conf import settings

from conftest import make_user, sign_in
from live_app import ending, ingest_control, service_channels, services
from live_app.backends.base import LiveBackendError
from live_app.backends.local import LocalBackend
from live_app.ingest import IngestServer, callback_handler_for
from live_app.models import AWAITING_REPLAY, LiveStatus
from live_app.selectors import session_get
from live_app.tests.publisher import publisher_command
from live_app.tests.test_ivs_backend import OLD_KEY_ARN, make_backend, make_channel
from live_app.tests.test_ivs_channel_reuse import expect_create_channel, go_live, ivs_event
from live_app.tests.test_live import stream_event, wait_until
from videoplatform.errors import PermissionDenied
from videoplatform.events import handle_event
from videoplatform.local_servers import free_port
from videos_app import services as video_services
from videos_app.selectors import video_get


class RecordingBackend(LocalBackend):
    """The local backend, with the stops asked of it written down (or refused)."""

    def __init__(self, error: str | None = None):
        self.stopped: list[str] = []
        self.error = error

    def stop_stream(self, *, channel, stream_id):
        if self.error:
            raise LiveBackendError(self.error)
        self.stopped.append(stream_id)


@pytest.fixture
def backend(monkeypatch):
    fake = RecordingBackend()
    monkeypatch.setattr(ending, "get_live_backend", lambda: fake)
    return fake


def end(client, session, *, follow=True):
    return client.post(f"/studio/live/{session.stream_id}/end/", follow=follow)


class TestEndStream:
    def test_owner_ends_a_live_session(self, client, creator, session, backend):
        """The broadcast is stopped through the backend, the session ends at once and
        waits in the live-index for its replay; the page says so."""
        handle_event(stream_event(session, "Stream Start"))
        sign_in(client, creator)
        page = end(client, session).content.decode()
        assert backend.stopped == [session.stream_id]
        ended = session_get(session.stream_id, consistent=True)
        assert ended.status == LiveStatus.ENDED and ended.ended_at
        assert ended.live_partition.startswith(AWAITING_REPLAY)
        assert "Stream ended; the replay is being prepared." in page
        assert "End stream" not in page
        # What the ingest or IVS reports afterwards finds it ended and changes nothing.
        assert handle_event(stream_event(session, "Stream End")) == "ignored"

    def test_owner_ends_a_session_waiting_for_its_stream(self, client, creator, session, backend):
        """Ended before anything was streamed: no replay is waited for."""
        sign_in(client, creator)
        page = end(client, session).content.decode()
        ended = session_get(session.stream_id, consistent=True)
        assert ended.status == LiveStatus.ENDED and ended.live_partition is None
        assert "Nothing was streamed, so there is no replay." in page
        with pytest.raises(PermissionDenied, match="has ended"):
            services.live_authorize_publish(stream_key=session.stream_key)

    @pytest.mark.parametrize("who", ["stranger", "anonymous"])
    def test_others_cannot_end_it(self, client, session, backend, who):
        handle_event(stream_event(session, "Stream Start"))
        if who == "stranger":
            sign_in(client, make_user())
        response = end(client, session, follow=False)
        assert response.status_code == (403 if who == "stranger" else 302)
        if who == "anonymous":
            assert response["Location"].startswith("/accounts/login/")
        assert backend.stopped == []
        assert session_get(session.stream_id, consistent=True).status == LiveStatus.LIVE

    def test_unknown_session_is_404(self, client, creator, backend):
        sign_in(client, creator)
        assert client.post("/studio/live/no-such-stream/end/").status_code == 404

    def test_get_is_not_allowed(self, client, creator, session, backend):
        sign_in(client, creator)
        assert client.get(f"/studio/live/{session.stream_id}/end/").status_code == 405
        assert session_get(session.stream_id, consistent=True).status == LiveStatus.CREATED

    @pytest.mark.parametrize(
        ("event", "message"),
        [
            ("Stream End", "This stream has already ended."),
            ("Stream Failure", "This stream failed; there is nothing to end."),
        ],
    )
    def test_a_session_over_is_refused_with_a_message(
        self, client, creator, session, backend, event, message
    ):
        handle_event(stream_event(session, "Stream Start"))
        handle_event(stream_event(session, event))
        sign_in(client, creator)
        page = end(client, session).content.decode()
        assert message in page
        assert backend.stopped == []

    def test_live_service_refusal_keeps_it_live(self, client, creator, session, monkeypatch):
        """The broadcast could not be stopped: the session is not marked ended while its
        stream goes on, and the owner reads why."""
        monkeypatch.setattr(ending, "get_live_backend", lambda: RecordingBackend("ingest down"))
        handle_event(stream_event(session, "Stream Start"))
        sign_in(client, creator)
        page = end(client, session).content.decode()
        assert "Could not stop the stream: ingest down" in page
        assert session_get(session.stream_id, consistent=True).status == LiveStatus.LIVE


class TestIvsStopStream:
    def test_key_deleted_then_stream_stopped(self, stubbed_ivs):
        """DeleteStreamKey first (encoders reconnect a dropped stream), then StopStream."""
        client, stubber = stubbed_ivs
        channel = make_channel()
        stubber.add_response("delete_stream_key", {}, {"arn": OLD_KEY_ARN})
        stubber.add_response("stop_stream", {}, {"channelArn": channel.channel_arn})
        make_backend(client).stop_stream(channel=channel, stream_id="st_1")

    def test_not_broadcasting_and_key_gone_are_tolerated(self, stubbed_ivs):
        client, stubber = stubbed_ivs
        channel = make_channel()
        stubber.add_client_error(
            "delete_stream_key",
            service_error_code="ResourceNotFoundException",
            http_status_code=404,
            expected_params={"arn": OLD_KEY_ARN},
        )
        stubber.add_client_error(
            "stop_stream",
            service_error_code="ChannelNotBroadcasting",
            http_status_code=404,
            expected_params={"channelArn": channel.channel_arn},
        )
        make_backend(client).stop_stream(channel=channel, stream_id="st_1")

    def test_other_errors_are_backend_errors(self, stubbed_ivs):
        client, stubber = stubbed_ivs
        channel = make_channel()
        stubber.add_response("delete_stream_key", {}, {"arn": OLD_KEY_ARN})
        stubber.add_client_error(
            "stop_stream", service_error_code="AccessDeniedException", http_status_code=403
        )
        with pytest.raises(LiveBackendError, match="stop the stream.*AccessDeniedException"):
            make_backend(client).stop_stream(channel=channel, stream_id="st_1")

    def test_owner_ends_an_ivs_session_and_goes_live_again(
        self, client, creator, creator_channel, stubbed_ivs, monkeypatch
    ):
        """End stream on IVS: the key is deleted and the stream stopped; the channel's
        next go-live makes a new key (the deleted one is no error)."""
        ivs_client, stubber = stubbed_ivs
        ivs = make_backend(ivs_client, recording_bucket=settings.S3_MEDIA_BUCKET)
        for module in (services, service_channels, ending):
            monkeypatch.setattr(module, "get_live_backend", lambda: ivs)
        arn = f"arn:aws:ivs:us-east-1:123456789012:channel/end{time.time_ns() % 10**9}"
        expect_create_channel(stubber, creator_channel, arn)
        session = go_live(creator, creator_channel)
        assert handle_event(ivs_event("Stream Start", arn, at=time.time())) == "applied"
        stubber.add_response("delete_stream_key", {}, {"arn": OLD_KEY_ARN})
        stubber.add_response("stop_stream", {}, {"channelArn": arn})
        sign_in(client, creator)
        end(client, session)
        assert session_get(session.stream_id, consistent=True).status == LiveStatus.ENDED
        stubber.assert_no_pending_responses()
        # IVS's own Stream End comes later and changes nothing.
        assert handle_event(ivs_event("Stream End", arn, at=time.time())) == "ignored"
        stubber.add_client_error(
            "delete_stream_key",
            service_error_code="ResourceNotFoundException",
            http_status_code=404,
            expected_params={"arn": OLD_KEY_ARN},
        )
        new_key = f"sk_{arn.rsplit('/', 1)[1]}_again"
        stubber.add_response(
            "create_stream_key",
            {"streamKey": {"arn": OLD_KEY_ARN + "2", "value": new_key, "channelArn": arn}},
            {"channelArn": arn},
        )
        assert go_live(creator, creator_channel, "Again").stream_key == new_key


class TestStopRequests:
    """The ingest's /stop: only the app, which signs with the site's secret key."""

    @pytest.fixture
    def callbacks(self, tmp_path):
        server = IngestServer(
            rtmp_host="127.0.0.1",
            rtmp_port=free_port(),
            callback_port=free_port(),
            work_dir=tmp_path / "live",
        )
        server.stop_stream = lambda stream_id: server.stopped.append(stream_id) or 1
        server.stopped = []
        http = ThreadingHTTPServer(
            ("127.0.0.1", server.callback_port), callback_handler_for(server)
        )
        Thread(target=http.serve_forever, daemon=True).start()
        yield server
        http.shutdown()
        http.server_close()

    def test_signed_request_stops_unsigned_is_refused(self, callbacks):
        port = callbacks.callback_port
        assert ingest_control.request_stop("st_abc", callback_port=port) == 1
        for signature in ("", "0" * 64, ingest_control.stop_signature("st_other")):
            body = urlencode({"stream_id": "st_abc", "signature": signature}).encode()
            with pytest.raises(HTTPError) as refused:
                urlopen(Request(f"http://127.0.0.1:{port}/stop", data=body), timeout=5)
            assert refused.value.code == 403
        assert callbacks.stopped == ["st_abc"]

    def test_unreachable_ingest_is_a_backend_error(self):
        with pytest.raises(LiveBackendError, match="could not be reached"):
            ingest_control.request_stop("st_abc", callback_port=free_port())

    def test_control_is_on_loopback_under_the_run_secret(self, tmp_path):
        server = IngestServer(
            rtmp_host="127.0.0.1",
            rtmp_port=free_port(),
            callback_port=free_port(),
            work_dir=tmp_path / "live",
        )
        config = server.config()
        assert f"listen 127.0.0.1:{server.control_port};" in config
        assert f"location /{server.callback_secret}/control/ {{" in config
        assert config.count("rtmp_control all;") == 1


@pytest.fixture
def ingest(tmp_path, settings):
    """The real local ingest (nginx-rtmp) where the app's backend finds it."""
    settings.LIVE_CALLBACK_PORT = free_port()
    server = IngestServer(
        rtmp_host="127.0.0.1",
        rtmp_port=free_port(),
        callback_port=settings.LIVE_CALLBACK_PORT,
        work_dir=tmp_path / "live",
    )
    server.start()
    yield server
    server.stop()


def test_end_stream_drops_the_local_publisher(client, creator, session, ingest):
    """A real encoder streams to the local ingest; End stream: nginx drops it (the
    encoder stops at once, long before its minute is up), the session is ended, a
    reconnect with the same key is refused, and the recording becomes the replay."""
    url = f"rtmp://127.0.0.1:{ingest.rtmp_port}/live/{session.stream_key}"
    encoder = subprocess.Popen(
        publisher_command(url, seconds=60), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        live = wait_until(
            lambda: session_get(session.stream_id, consistent=True).status == LiveStatus.LIVE,
            timeout=20,
        )
        assert live, "the session never went live"
        time.sleep(2)  # a few seconds of recording
        sign_in(client, creator)
        page = end(client, session).content.decode()
        assert "Stream ended; the replay is being prepared." in page
        assert session_get(session.stream_id, consistent=True).status == LiveStatus.ENDED
        encoder.wait(timeout=10)
        assert encoder.returncode != 0, "the encoder was not disconnected"
    finally:
        if encoder.poll() is None:
            encoder.kill()
    again = subprocess.run(
        publisher_command(url, seconds=2), capture_output=True, timeout=30, check=False
    )
    assert again.returncode != 0, "an ended session accepted a publisher"
    replay_id = wait_until(
        lambda: session_get(session.stream_id, consistent=True).replay_video_id, timeout=30
    )
    assert replay_id, "no replay was made from the recording"
    video_services.video_delete(actor=creator, video=video_get(replay_id, consistent=True))
