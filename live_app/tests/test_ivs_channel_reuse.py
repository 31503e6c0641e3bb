"""On IVS a channel of ours keeps one IVS channel for its life: made on the first go-live,
reused with a new stream key by every later one, deleted with delete_live_channel. Events
name only the IVS channel, so they must reach the session they are about.

Against the real DynamoDB server; IVS through botocore's Stubber, which checks each
request against the IVS service model and fails on any call not expected (a second
CreateChannel, say)."""

import io
import time
import uuid

import pytest
from botocore.stub import Stubber
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from live_app import service_channels, services
from live_app.claims import channel_claim, service_channel_claim
from live_app.models import LiveStatus, LivestreamSession
from live_app.selectors import session_get
from live_app.tests.test_ivs_backend import (
    CHANNEL_ARN,
    NEW_KEY_ARN,
    OLD_KEY_ARN,
    PLAYBACK_URL,
    make_backend,
    make_channel,
)
from live_app.tests.test_live import recording_event
from videoplatform.aws import s3_client
from videoplatform.dynamodb import item_or_none, now_s
from videoplatform.errors import ApplicationError
from videoplatform.events import handle_event, make_event
from videoplatform.models import UniqueClaim

INGEST = "abcd.global-contribute.live-video.net"


@pytest.fixture
def arn():
    """A channel ARN of its own per test: claims outlive a test in the shared tables."""
    return f"arn:aws:ivs:us-east-1:123456789012:channel/{uuid.uuid4().hex[:12]}"


@pytest.fixture
def ivs(monkeypatch, stubbed_ivs):
    """The IVS backend on a stubbed client, as the backend the live services use."""
    client, stubber = stubbed_ivs
    backend = make_backend(client, recording_bucket=settings.S3_MEDIA_BUCKET)
    monkeypatch.setattr(services, "get_live_backend", lambda: backend)
    monkeypatch.setattr(service_channels, "get_live_backend", lambda: backend)
    return stubber


def key_value(arn: str, name: str) -> str:
    """A stream key of this test's own (their claims outlive a test too)."""
    return f"sk_us-east-1_{arn.rsplit('/', 1)[1]}_{name}"


def expect_create_channel(stubber: Stubber, channel, arn: str) -> None:
    stubber.add_response(
        "create_channel",
        {
            "channel": {
                "arn": arn,
                "ingestEndpoint": INGEST,
                "playbackUrl": PLAYBACK_URL,
            },
            "streamKey": {"arn": OLD_KEY_ARN, "value": key_value(arn, "first"), "channelArn": arn},
        },
        {
            "name": channel.handle,
            "latencyMode": "LOW",
            "type": "STANDARD",
            "authorized": False,
            "tags": {"channel_id": channel.channel_id},
        },
    )


def expect_new_key(stubber: Stubber, arn: str, *, old_arn: str, new_arn: str, value: str) -> None:
    """A later go-live: DeleteStreamKey (the last session's) + CreateStreamKey, same channel."""
    stubber.add_response("delete_stream_key", {}, {"arn": old_arn})
    stubber.add_response(
        "create_stream_key",
        {"streamKey": {"arn": new_arn, "value": value, "channelArn": arn}},
        {"channelArn": arn},
    )


def expect_not_broadcasting(stubber: Stubber, arn: str) -> None:
    stubber.add_client_error(
        "get_stream",
        service_error_code="ChannelNotBroadcasting",
        http_status_code=404,
        expected_params={"channelArn": arn},
    )


def go_live(creator, channel, title="Show"):
    return services.live_session_create(actor=creator, channel_id=channel.channel_id, title=title)


def ivs_event(name: str, arn: str, *, at: float) -> dict:
    """An IVS Stream State Change for the shared channel that happened at ``at``."""
    event = make_event(
        source="aws.ivs",
        detail_type="IVS Stream State Change",
        detail={"event_name": name, "channel_name": "x", "stream_id": "st-1"},
        resources=[arn],
    )
    event["time"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))
    return event


def claim_owner(claim_id: str) -> str | None:
    claim = item_or_none(UniqueClaim, claim_id, consistent=True)
    return claim.owner_id if claim else None


def backdate(session, seconds: int) -> LivestreamSession:
    """Pretend the session was made ``seconds`` ago (sessions a second apart are ordered)."""
    session.update(actions=[LivestreamSession.created_at.set(session.created_at - seconds)])
    return session_get(session.stream_id, consistent=True)


def first_show_over(creator, channel, ivs, arn) -> LivestreamSession:
    """Session 1: the first go-live (CreateChannel), live, then ended, 10 minutes ago."""
    expect_create_channel(ivs, channel, arn)
    first = backdate(go_live(creator, channel, "First"), 600)
    now = time.time()
    assert handle_event(ivs_event("Stream Start", arn, at=now - 590)) == "applied"
    assert handle_event(ivs_event("Stream End", arn, at=now - 300)) == "applied"
    return session_get(first.stream_id, consistent=True)


class TestOneIvsChannelPerChannel:
    def test_first_go_live_creates_the_channel(self, creator, creator_channel, ivs, arn):
        """CreateChannel once, tagged with our channel; the claims name it and the session."""
        expect_create_channel(ivs, creator_channel, arn)

        session = go_live(creator, creator_channel)

        assert session.channel_arn == arn
        assert session.ingest_url == f"rtmps://{INGEST}:443/app/"
        assert session.stream_key == key_value(arn, "first")
        assert claim_owner(service_channel_claim(creator_channel.channel_id)) == arn
        assert claim_owner(channel_claim(arn)) == session.stream_id

    def test_second_go_live_reuses_it_with_a_new_key(self, creator, creator_channel, ivs, arn):
        """No CreateChannel: the old key is deleted, a new one made on the same channel,
        and the channel's events now go to the new session."""
        first = first_show_over(creator, creator_channel, ivs, arn)
        expect_new_key(
            ivs, arn, old_arn=OLD_KEY_ARN, new_arn=NEW_KEY_ARN, value=key_value(arn, "second")
        )

        second = go_live(creator, creator_channel, "Second")

        assert second.stream_id != first.stream_id
        assert (second.channel_arn, second.ingest_url, second.playback_url) == (
            first.channel_arn,
            first.ingest_url,
            first.playback_url,
        )
        assert (second.stream_key, second.stream_key_arn) == (key_value(arn, "second"), NEW_KEY_ARN)
        assert second.status == LiveStatus.CREATED
        assert claim_owner(channel_claim(arn)) == second.stream_id
        assert services.session_by_key(key_value(arn, "first")) is None
        assert services.session_by_key(key_value(arn, "second")).stream_id == second.stream_id

    def test_a_session_never_streamed_to_is_replaced(self, creator, creator_channel, ivs, arn):
        """A session still waiting for its stream: IVS says nothing is broadcasting, so it
        ends and the new one takes the channel."""
        expect_create_channel(ivs, creator_channel, arn)
        waiting = go_live(creator, creator_channel)
        expect_not_broadcasting(ivs, arn)
        expect_new_key(
            ivs, arn, old_arn=OLD_KEY_ARN, new_arn=NEW_KEY_ARN, value=key_value(arn, "second")
        )

        second = go_live(creator, creator_channel, "Again")

        assert session_get(waiting.stream_id, consistent=True).status == LiveStatus.ENDED
        assert session_get(second.stream_id, consistent=True).stream_key == key_value(arn, "second")

    def test_no_second_session_while_the_channel_streams(self, creator, creator_channel, ivs, arn):
        """While IVS reports the channel live, going live again is refused and no key is
        touched (the stubber fails on any further call)."""
        expect_create_channel(ivs, creator_channel, arn)
        live = go_live(creator, creator_channel)
        assert handle_event(ivs_event("Stream Start", arn, at=time.time())) == "applied"
        ivs.add_response(
            "get_stream",
            {
                "stream": {
                    "channelArn": arn,
                    "state": "LIVE",
                    "streamId": "st-1AbCdEfGhIjKlMnOpQrStUvWxYz",
                }
            },
            {"channelArn": arn},
        )

        with pytest.raises(ApplicationError, match="streaming now"):
            go_live(creator, creator_channel, "Again")

        assert claim_owner(channel_claim(arn)) == live.stream_id

    def test_a_refused_new_key_fails_the_session(self, creator, creator_channel, ivs, arn):
        """IVS refusing the new key: a readable error, and the session left failed."""
        first_show_over(creator, creator_channel, ivs, arn)
        ivs.add_response("delete_stream_key", {}, {"arn": OLD_KEY_ARN})
        ivs.add_client_error("create_stream_key", service_error_code="AccessDeniedException")

        with pytest.raises(ApplicationError, match="AccessDeniedException"):
            go_live(creator, creator_channel, "Second")

        current = session_get(claim_owner(channel_claim(arn)), consistent=True)
        assert current.status == LiveStatus.FAILED and not current.stream_key


class TestEventsOfASharedChannel:
    def test_late_stream_end_of_session_1_does_not_end_session_2(
        self, creator, creator_channel, ivs, arn
    ):
        """Session 1's Stream End arrives after session 2 went live: session 2 stays live."""
        expect_create_channel(ivs, creator_channel, arn)
        first = backdate(go_live(creator, creator_channel, "First"), 600)
        now = time.time()
        assert handle_event(ivs_event("Stream Start", arn, at=now - 590)) == "applied"
        # Its Stream End is lost for now; the next go-live finds nothing broadcasting.
        expect_not_broadcasting(ivs, arn)
        expect_new_key(
            ivs, arn, old_arn=OLD_KEY_ARN, new_arn=NEW_KEY_ARN, value=key_value(arn, "second")
        )
        second = go_live(creator, creator_channel, "Second")
        assert handle_event(ivs_event("Stream Start", arn, at=now + 1)) == "applied"

        assert handle_event(ivs_event("Stream End", arn, at=now - 300)) == "ignored"

        assert session_get(second.stream_id, consistent=True).status == LiveStatus.LIVE
        assert session_get(first.stream_id, consistent=True).status == LiveStatus.ENDED

    def test_late_recording_of_session_1_is_its_replay(self, creator, creator_channel, ivs, arn):
        """Session 1's Recording End after session 2 began: the replay is session 1's."""
        first = first_show_over(creator, creator_channel, ivs, arn)
        expect_new_key(
            ivs, arn, old_arn=OLD_KEY_ARN, new_arn=NEW_KEY_ARN, value=key_value(arn, "second")
        )
        second = go_live(creator, creator_channel, "Second")
        event = recording_event(
            arn,
            bucket=settings.S3_MEDIA_BUCKET,
            key="ivs/v1/123456789012/abcdEFGH1234/2026/12/3/10/0/rec1",
            recording_duration_ms=290_000,
        )
        event["time"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))

        assert handle_event(event) == "applied"

        assert session_get(first.stream_id, consistent=True).replay_video_id
        assert not session_get(second.stream_id, consistent=True).replay_video_id

    def test_reconcile_leaves_the_next_sessions_recording_alone(
        self, creator, creator_channel, ivs, arn
    ):
        """Session 1's Recording End was lost; the only finished recording on the shared
        channel ended after session 2 began, so it is not session 1's replay."""
        first = first_show_over(creator, creator_channel, ivs, arn)
        expect_new_key(ivs, arn, old_arn=OLD_KEY_ARN, new_arn=NEW_KEY_ARN, value="sk-2")
        go_live(creator, creator_channel, "Second")
        ivs_id = arn.rsplit("/", 1)[1]
        s3_client().put_object(
            Bucket=settings.S3_MEDIA_BUCKET,
            Key=f"ivs/v1/123456789012/{ivs_id}/2026/12/3/16/0/rec2/events/recording-ended.json",
            Body=b"{}",
        )
        first = session_get(first.stream_id, consistent=True)

        assert services.live_reconcile(session=first, now=now_s()) == "waiting for the recording"
        assert not session_get(first.stream_id, consistent=True).replay_video_id


class TestDeleteLiveChannel:
    def test_the_command_deletes_the_ivs_channel(self, creator, creator_channel, ivs, arn):
        """DeleteChannel for the channel's ARN; the next go-live makes a new IVS channel."""
        first_show_over(creator, creator_channel, ivs, arn)
        out = io.StringIO()
        call_command(
            "delete_live_channel", creator_channel.channel_id, "--dry-run", stdout=out
        )  # no IVS call: the stubber has nothing queued
        assert f"would delete {arn}" in out.getvalue()
        ivs.add_response("delete_channel", {}, {"arn": arn})

        call_command("delete_live_channel", creator_channel.channel_id, stdout=out)

        assert f"deleted {arn}" in out.getvalue()
        assert claim_owner(service_channel_claim(creator_channel.channel_id)) is None
        fresh_arn = arn + "2"
        expect_create_channel(ivs, creator_channel, arn=fresh_arn)
        assert go_live(creator, creator_channel, "Fresh").channel_arn == fresh_arn

    def test_refused_while_live(self, creator, creator_channel, ivs, arn):
        """A live channel is not deleted: the command fails and IVS is not called."""
        expect_create_channel(ivs, creator_channel, arn)
        go_live(creator, creator_channel)
        assert handle_event(ivs_event("Stream Start", arn, at=time.time())) == "applied"
        err = io.StringIO()

        with pytest.raises(CommandError):
            call_command("delete_live_channel", creator_channel.channel_id, stderr=err)

        assert "stop the stream" in err.getvalue()
        assert claim_owner(service_channel_claim(creator_channel.channel_id)) == arn


class TestRenewStreamKey:
    def test_a_key_nobody_recorded_is_cleared(self, stubbed_ivs):
        """CreateStreamKey refused because a key we never saved holds the channel's one
        slot: the channel's keys are listed and deleted, then the new key is made."""
        client, stubber = stubbed_ivs
        stray = CHANNEL_ARN.replace("channel/", "stream-key/") + "X"
        stubber.add_response("delete_stream_key", {}, {"arn": OLD_KEY_ARN})
        stubber.add_client_error(
            "create_stream_key", service_error_code="ServiceQuotaExceededException"
        )
        stubber.add_response(
            "list_stream_keys",
            {"streamKeys": [{"arn": stray, "channelArn": CHANNEL_ARN}]},
            {"channelArn": CHANNEL_ARN},
        )
        stubber.add_response("delete_stream_key", {}, {"arn": stray})
        stubber.add_response(
            "create_stream_key",
            {"streamKey": {"arn": NEW_KEY_ARN, "value": "sk_new"}},
            {"channelArn": CHANNEL_ARN},
        )
        renewed = make_backend(client).renew_stream_key(channel=make_channel())

        assert (renewed.stream_key, renewed.stream_key_arn) == ("sk_new", NEW_KEY_ARN)


def test_the_local_backend_still_makes_a_channel_per_session(creator, creator_channel):
    """Locally nothing is reused: each session has its own channel, named after it."""
    first = go_live(creator, creator_channel, "One")
    second = go_live(creator, creator_channel, "Two")
    assert first.channel_arn == f"local:channel/{first.stream_id}"
    assert second.channel_arn == f"local:channel/{second.stream_id}"
    assert session_get(first.stream_id, consistent=True).status == LiveStatus.CREATED
    assert claim_owner(service_channel_claim(creator_channel.channel_id)) is None
