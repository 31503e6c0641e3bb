"""reconcile_live settles sessions whose IVS events were lost: a session still marked
live with nobody streaming ends, and a missing replay is made from the recording found
in storage (against the real DynamoDB and S3 servers; IVS through botocore's Stubber)."""

import io
from datetime import UTC, datetime

from django.conf import settings
from django.core.management import call_command

from live_app.models import AWAITING_REPLAY, LiveStatus, LivestreamSession, is_live_now
from live_app.selectors import session_get
from live_app.tests.test_ivs_backend import ACCOUNT, CHANNEL_ARN, make_backend
from live_app.tests.test_ivs_backend import make_channel as make_ivs_channel
from live_app.tests.test_live import recording_event, stream_event
from videoplatform.aws import s3_client
from videoplatform.dynamodb import now_s
from videoplatform.events import handle_event
from videos_app import services as video_services
from videos_app.models import VideoStatus
from videos_app.selectors import video_get

LONG_AGO = 1_000_000_000  # 2001


def went_live_long_ago(session) -> LivestreamSession:
    assert handle_event(stream_event(session, "Stream Start")) == "applied"
    session = session_get(session.stream_id, consistent=True)
    session.update(
        actions=[
            LivestreamSession.started_at.set(LONG_AGO),
            LivestreamSession.live_since.set(LONG_AGO),
        ]
    )
    return session_get(session.stream_id, consistent=True)


def reconcile(*args: str) -> str:
    out = io.StringIO()
    call_command("reconcile_live", "-v", "2", *args, stdout=out)
    return out.getvalue()


def put(bucket: str, key: str, body: bytes = b"x") -> None:
    s3_client().put_object(Bucket=bucket, Key=key, Body=body)


class TestLostStreamEnd:
    def test_a_session_nobody_streams_to_is_ended(self, session):
        """Live for ages, no playlist refreshed: ended, and now waiting for its replay."""
        went_live_long_ago(session)
        out = reconcile("--dry-run")
        assert f"{session.stream_id} [live] -> ended: nothing is broadcasting" in out
        assert session_get(session.stream_id, consistent=True).status == LiveStatus.LIVE

        out = reconcile()
        assert f"{session.stream_id} [live] -> ended: nothing is broadcasting" in out
        after = session_get(session.stream_id, consistent=True)
        assert after.status == LiveStatus.ENDED and after.ended_at
        assert after.live_partition.startswith(AWAITING_REPLAY + "#")

    def test_a_session_still_streaming_stays_live(self, session):
        """The ingest refreshed the live playlist a moment ago: the session stays live."""
        went_live_long_ago(session)
        put(settings.S3_MEDIA_BUCKET, f"live/{session.stream_id}/index.m3u8", b"#EXTM3U\n")
        out = reconcile()
        assert f"{session.stream_id} [live] -> live: still broadcasting" in out
        after = session_get(session.stream_id, consistent=True)
        assert after.status == LiveStatus.LIVE and is_live_now(after)

    def test_a_session_that_just_started_is_not_asked(self, session):
        """Within LIVE_QUIET_AFTER_S of its start a session is left alone, playlist or not."""
        assert handle_event(stream_event(session, "Stream Start")) == "applied"
        out = reconcile()
        assert f"{session.stream_id} [live] -> live: just started" in out
        assert session_get(session.stream_id, consistent=True).status == LiveStatus.LIVE


class TestLostRecordingEnd:
    def test_the_replay_is_made_from_the_recording_in_storage(self, creator, session):
        """Stream End came, Recording End did not: the ingest's uploaded recording becomes
        the replay, queued for transcoding, and the session leaves the index."""
        went_live_long_ago(session)
        assert handle_event(stream_event(session, "Stream End")) == "applied"
        key = f"recordings/{session.stream_id}/1700000000.flv"
        put(settings.S3_RAW_BUCKET, key, b"FLV recording")
        out = reconcile()
        assert f"{session.stream_id} [ended] -> replay made from the recording in storage" in out
        after = session_get(session.stream_id, consistent=True)
        assert after.replay_video_id and after.live_partition is None
        replay = video_get(after.replay_video_id, consistent=True)
        assert replay.source_key == key and replay.status == VideoStatus.QUEUED
        assert replay.title == "Morning show (replay)"
        assert session.stream_id not in reconcile()  # settled once: it left the index
        video_services.video_delete(actor=creator, video=replay)

    def test_with_no_recording_it_waits_then_gives_up(self, session, settings):
        """No recording yet: it waits; past LIVE_REPLAY_WAIT_S it gives up, no replay."""
        went_live_long_ago(session)
        assert handle_event(stream_event(session, "Stream End")) == "applied"
        out = reconcile()
        assert f"{session.stream_id} [ended] -> waiting for the recording" in out
        settings.LIVE_REPLAY_WAIT_S = -1  # every ended session has waited long enough
        out = reconcile()
        assert f"{session.stream_id} [ended] -> given up: no recording was found" in out
        after = session_get(session.stream_id, consistent=True)
        assert after.replay_video_id is None and after.live_partition is None

    def test_a_replay_made_by_its_event_just_leaves_the_index(self, creator, session):
        """Recording End arrived normally: the session only leaves the index."""
        went_live_long_ago(session)
        handle_event(stream_event(session, "Stream End"))
        key = f"recordings/{session.stream_id}/1700000001.flv"
        put(settings.S3_RAW_BUCKET, key, b"FLV")
        recording = recording_event(session.channel_arn, bucket=settings.S3_RAW_BUCKET, key=key)
        assert handle_event(recording) == "applied"
        out = reconcile()
        assert f"{session.stream_id} [ended] -> done: the replay exists" in out
        after = session_get(session.stream_id, consistent=True)
        assert after.live_partition is None
        replay = video_get(after.replay_video_id, consistent=True)
        video_services.video_delete(actor=creator, video=replay)


class TestIvs:
    def test_get_stream_says_whether_the_channel_is_broadcasting(self, stubbed_ivs):
        """GetStream LIVE -> broadcasting; ChannelNotBroadcasting -> not; both requests are
        checked against the IVS model."""
        client, stubber = stubbed_ivs
        stubber.add_response(
            "get_stream",
            {
                "stream": {
                    "channelArn": CHANNEL_ARN,
                    "state": "LIVE",
                    "health": "HEALTHY",
                    "streamId": "st-1AbCdEfGhIjKlMnOpQrStUvWx",
                }
            },
            {"channelArn": CHANNEL_ARN},
        )
        stubber.add_client_error(
            "get_stream",
            service_error_code="ChannelNotBroadcasting",
            http_status_code=404,
            expected_params={"channelArn": CHANNEL_ARN},
        )
        backend = make_backend(client)
        channel = make_ivs_channel()
        assert backend.is_broadcasting(channel=channel, stream_id="s") is True
        assert backend.is_broadcasting(channel=channel, stream_id="s") is False

    def test_the_newest_finished_recording_since_the_start_is_found(self, stubbed_ivs):
        """Only recordings with events/recording-ended.json count, and only those finished
        after the session started; the newest wins."""
        client, _ = stubbed_ivs
        bucket = settings.S3_MEDIA_BUCKET
        base = f"ivs/v1/{ACCOUNT}/abcdEFGH1234/2026/12/2/1/"
        put(bucket, base + "0/recA/events/recording-started.json", b"{}")  # still recording
        put(bucket, base + "5/recB/events/recording-ended.json", b"{}")
        backend = make_backend(client, recording_bucket=bucket)
        channel = make_ivs_channel()
        found = backend.find_recording(channel=channel, stream_id="s", since=now_s() - 60)
        assert found is not None and (found.bucket, found.prefix) == (bucket, base + "5/recB")
        future = int(datetime(2100, 1, 1, tzinfo=UTC).timestamp())
        assert backend.find_recording(channel=channel, stream_id="s", since=future) is None
        other = make_ivs_channel(channel_arn=CHANNEL_ARN.replace("abcdEFGH1234", "zzzz9999"))
        assert backend.find_recording(channel=other, stream_id="s", since=0) is None
