"""The Amazon IVS live backend: moto's IVS for the channel calls it models (CreateChannel,
GetChannel, DeleteChannel), botocore's Stubber, which checks each request against the IVS
service model, for the stream-key, recording-configuration and error paths it does not."""

import time

import boto3
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from moto import mock_aws

from live_app.backends.base import LiveBackendError, LiveChannel
from live_app.backends.ivs import IvsBackend

REGION = "us-east-1"
ACCOUNT = "123456789012"
CHANNEL_ARN = f"arn:aws:ivs:{REGION}:{ACCOUNT}:channel/abcdEFGH1234"
OLD_KEY_ARN = f"arn:aws:ivs:{REGION}:{ACCOUNT}:stream-key/oldKEY123456"
NEW_KEY_ARN = f"arn:aws:ivs:{REGION}:{ACCOUNT}:stream-key/newKEY123456"
RECORDING_ARN = f"arn:aws:ivs:{REGION}:{ACCOUNT}:recording-configuration/rec123456789"
PLAYBACK_URL = (
    f"https://abcd.{REGION}.playback.live-video.net/api/video/v1/"
    f"{REGION}.{ACCOUNT}.channel.abcdEFGH1234.m3u8"
)
ORIGIN = "https://video.example.com"


def ivs_client():
    return boto3.client(
        "ivs", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )


def make_backend(client, **overrides) -> IvsBackend:
    values = {"client": client, "latency_mode": "LOW", "channel_type": "STANDARD"}
    values.update(overrides)
    return IvsBackend(**values)


def make_channel(**overrides) -> LiveChannel:
    values = {
        "channel_arn": CHANNEL_ARN,
        "ingest_url": "rtmps://abcd.global-contribute.live-video.net:443/app/",
        "stream_key": "sk_us-east-1_oldsecret",
        "playback_url": PLAYBACK_URL,
        "stream_key_arn": OLD_KEY_ARN,
    }
    values.update(overrides)
    return LiveChannel(**values)


def recording_summary(*, arn: str, bucket: str, state: str) -> dict:
    return {"arn": arn, "destinationConfiguration": {"s3": {"bucketName": bucket}}, "state": state}


@pytest.fixture(scope="module")
def playback_key_pair():
    """A P-384 key pair as ImportPlaybackKeyPair would take its public half."""
    private_key = ec.generate_private_key(ec.SECP384R1())
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


@pytest.fixture
def moto_ivs():
    with mock_aws():
        yield ivs_client()


class TestCreateChannel:
    def test_public_channel_gives_ingest_url_key_and_playback_url(self, moto_ivs):
        """A public channel comes back with the rtmps ingest URL, its key and playback URL."""
        live = make_backend(moto_ivs).create_channel(
            stream_id="st_1", name="Friday show: Q&A", private=False
        )

        stored = moto_ivs.get_channel(arn=live.channel_arn)["channel"]
        assert live.ingest_url == f"rtmps://{stored['ingestEndpoint']}:443/app/"
        assert live.stream_key.startswith("sk_")
        assert live.stream_key_arn.startswith(f"arn:aws:ivs:{REGION}:")
        assert live.playback_url == stored["playbackUrl"]
        assert stored["authorized"] is False
        assert stored["latencyMode"] == "LOW"
        assert stored["type"] == "STANDARD"
        assert stored["name"] == "Friday-show-Q-A"
        assert stored["tags"] == {"stream_id": "st_1"}
        assert stored["recordingConfigurationArn"] == ""

    def test_private_channel_is_created_authorized(self, moto_ivs):
        """A private session's channel is created with authorized=True."""
        live = make_backend(moto_ivs).create_channel(stream_id="st_2", name="secret", private=True)

        assert moto_ivs.get_channel(arn=live.channel_arn)["channel"]["authorized"] is True

    def test_recording_configuration_arn_is_passed_through(self, moto_ivs):
        """The recording configuration from settings is set on every new channel."""
        backend = make_backend(moto_ivs, recording_configuration_arn=RECORDING_ARN)

        live = backend.create_channel(stream_id="st_3", name="recorded", private=False)

        stored = moto_ivs.get_channel(arn=live.channel_arn)["channel"]
        assert stored["recordingConfigurationArn"] == RECORDING_ARN

    def test_access_denied_becomes_backend_error_without_details(self, stubbed_ivs):
        """AccessDenied from CreateChannel is a readable LiveBackendError hiding AWS's text."""
        client, stubber = stubbed_ivs
        stubber.add_client_error(
            "create_channel",
            service_error_code="AccessDeniedException",
            service_message=(
                f"User: arn:aws:iam::{ACCOUNT}:user/deployer is not authorized to perform: "
                "ivs:CreateChannel"
            ),
            http_status_code=403,
        )

        with pytest.raises(LiveBackendError) as raised:
            make_backend(client).create_channel(stream_id="st_4", name="denied", private=False)

        reason = raised.value.reason
        assert reason == str(raised.value)
        assert "create the IVS channel" in reason
        assert "AccessDeniedException" in reason
        assert ACCOUNT not in reason
        assert "deployer" not in reason


class TestDeleteChannel:
    def test_delete_removes_channel_and_tolerates_repeat(self, moto_ivs):
        """DeleteChannel removes the channel, and deleting it again is not an error."""
        backend = make_backend(moto_ivs)
        live = backend.create_channel(stream_id="st_5", name="gone", private=False)

        backend.delete_channel(channel=live)
        backend.delete_channel(channel=live)

        assert moto_ivs.list_channels()["channels"] == []


class TestRotateStreamKey:
    def test_rotation_stops_deletes_then_creates_and_returns_new_key(self, stubbed_ivs):
        """Rotation calls StopStream, DeleteStreamKey(old), CreateStreamKey in that order."""
        client, stubber = stubbed_ivs
        stubber.add_response("stop_stream", {}, {"channelArn": CHANNEL_ARN})
        stubber.add_response("delete_stream_key", {}, {"arn": OLD_KEY_ARN})
        stubber.add_response(
            "create_stream_key",
            {
                "streamKey": {
                    "arn": NEW_KEY_ARN,
                    "value": "sk_us-east-1_newsecret",
                    "channelArn": CHANNEL_ARN,
                }
            },
            {"channelArn": CHANNEL_ARN},
        )
        channel = make_channel()

        rotated = make_backend(client).rotate_stream_key(channel=channel)

        assert rotated.stream_key == "sk_us-east-1_newsecret"
        assert rotated.stream_key_arn == NEW_KEY_ARN
        assert rotated.channel_arn == channel.channel_arn
        assert rotated.ingest_url == channel.ingest_url
        assert rotated.playback_url == channel.playback_url

    def test_channel_not_broadcasting_is_tolerated(self, stubbed_ivs):
        """StopStream's ChannelNotBroadcasting on an idle channel does not stop the rotation."""
        client, stubber = stubbed_ivs
        stubber.add_client_error(
            "stop_stream",
            service_error_code="ChannelNotBroadcasting",
            http_status_code=404,
            expected_params={"channelArn": CHANNEL_ARN},
        )
        stubber.add_response("delete_stream_key", {}, {"arn": OLD_KEY_ARN})
        stubber.add_response(
            "create_stream_key",
            {"streamKey": {"arn": NEW_KEY_ARN, "value": "sk_us-east-1_newsecret"}},
            {"channelArn": CHANNEL_ARN},
        )

        rotated = make_backend(client).rotate_stream_key(channel=make_channel())

        assert rotated.stream_key_arn == NEW_KEY_ARN

    def test_retry_after_old_key_was_deleted_still_creates_key(self, stubbed_ivs):
        """A retry whose old key is already gone (earlier failure) still creates the new key."""
        client, stubber = stubbed_ivs
        stubber.add_response("stop_stream", {}, {"channelArn": CHANNEL_ARN})
        stubber.add_client_error(
            "delete_stream_key",
            service_error_code="ResourceNotFoundException",
            http_status_code=404,
            expected_params={"arn": OLD_KEY_ARN},
        )
        stubber.add_response(
            "create_stream_key",
            {"streamKey": {"arn": NEW_KEY_ARN, "value": "sk_us-east-1_newsecret"}},
            {"channelArn": CHANNEL_ARN},
        )

        rotated = make_backend(client).rotate_stream_key(channel=make_channel())

        assert rotated.stream_key == "sk_us-east-1_newsecret"

    def test_other_stop_stream_error_aborts_before_deleting_key(self, stubbed_ivs):
        """Any other StopStream error is a LiveBackendError and the old key is left alone."""
        client, stubber = stubbed_ivs
        stubber.add_client_error(
            "stop_stream", service_error_code="StreamUnavailable", http_status_code=503
        )

        with pytest.raises(LiveBackendError) as raised:
            make_backend(client).rotate_stream_key(channel=make_channel())

        assert "StreamUnavailable" in raised.value.reason
        assert "oldsecret" not in raised.value.reason


class TestPlaybackUrl:
    def test_public_playback_has_no_token(self, playback_key_pair):
        """A public channel's playback URL is IVS's URL as is, with no token."""
        backend = make_backend(ivs_client(), playback_private_key_pem=playback_key_pair[0])

        url = backend.playback_url(channel=make_channel(), private=False, viewer_id="viewer-1")

        assert url == PLAYBACK_URL

    def test_private_token_verifies_with_public_key_and_carries_claims(self, playback_key_pair):
        """A private URL has an ES384 token the public key verifies, with arn, origin, viewer."""
        private_pem, public_pem = playback_key_pair
        backend = make_backend(
            ivs_client(), playback_private_key_pem=private_pem, allowed_origin=ORIGIN
        )

        url = backend.playback_url(channel=make_channel(), private=True, viewer_id="viewer-1")

        base, token = url.split("?token=")
        assert base == PLAYBACK_URL
        assert jwt.get_unverified_header(token)["alg"] == "ES384"
        claims = jwt.decode(token, public_pem, algorithms=["ES384"])
        assert claims["aws:channel-arn"] == CHANNEL_ARN
        assert claims["aws:access-control-allow-origin"] == ORIGIN
        assert claims["aws:viewer-id"] == "viewer-1"

    def test_token_expiry_is_in_unix_seconds(self, playback_key_pair):
        """exp is about now + 300 in seconds, not a millisecond timestamp."""
        private_pem, public_pem = playback_key_pair
        backend = make_backend(ivs_client(), playback_private_key_pem=private_pem)

        url = backend.playback_url(channel=make_channel(), private=True, viewer_id=None)

        claims = jwt.decode(url.split("?token=")[1], public_pem, algorithms=["ES384"])
        assert abs(claims["exp"] - (time.time() + 300)) <= 5
        assert "aws:viewer-id" not in claims
        assert "aws:access-control-allow-origin" not in claims

    def test_private_playback_without_key_is_a_backend_error(self):
        """Private playback with no private key configured fails with a readable reason."""
        backend = make_backend(ivs_client())

        with pytest.raises(LiveBackendError, match="private key"):
            backend.playback_url(channel=make_channel(), private=True, viewer_id=None)

    def test_wrong_curve_key_is_refused_at_construction(self):
        """A key that is not P-384 is refused when the backend is built, not on first play."""
        p256_pem = (
            ec.generate_private_key(ec.SECP256R1())
            .private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            .decode()
        )

        with pytest.raises(LiveBackendError, match="P-384"):
            make_backend(ivs_client(), playback_private_key_pem=p256_pem)


class TestRecordingConfiguration:
    def test_existing_configuration_for_bucket_is_reused(self, stubbed_ivs):
        """An ACTIVE configuration already writing to the bucket is returned, none created."""
        client, stubber = stubbed_ivs
        stubber.add_response(
            "list_recording_configurations",
            {
                "recordingConfigurations": [
                    recording_summary(
                        arn=f"{RECORDING_ARN}-other", bucket="other-bucket", state="ACTIVE"
                    ),
                    recording_summary(arn=RECORDING_ARN, bucket="media-bucket", state="ACTIVE"),
                ]
            },
            {},
        )

        arn = make_backend(client).ensure_recording_configuration(
            bucket="media-bucket", name="videoplatform-live"
        )

        assert arn == RECORDING_ARN

    def test_missing_configuration_is_created_and_waited_for(self, stubbed_ivs, monkeypatch):
        """With none usable for the bucket, one is created and polled until ACTIVE."""
        client, stubber = stubbed_ivs
        sleeps = []
        monkeypatch.setattr("live_app.backends.ivs.time.sleep", sleeps.append)
        stubber.add_response(
            "list_recording_configurations",
            {
                "recordingConfigurations": [
                    recording_summary(
                        arn=f"{RECORDING_ARN}-other", bucket="other-bucket", state="ACTIVE"
                    ),
                    recording_summary(
                        arn=f"{RECORDING_ARN}-failed", bucket="media-bucket", state="CREATE_FAILED"
                    ),
                ]
            },
            {},
        )
        stubber.add_response(
            "create_recording_configuration",
            {
                "recordingConfiguration": recording_summary(
                    arn=RECORDING_ARN, bucket="media-bucket", state="CREATING"
                )
            },
            {
                "name": "videoplatform-live",
                "destinationConfiguration": {"s3": {"bucketName": "media-bucket"}},
            },
        )
        stubber.add_response(
            "get_recording_configuration",
            {
                "recordingConfiguration": recording_summary(
                    arn=RECORDING_ARN, bucket="media-bucket", state="ACTIVE"
                )
            },
            {"arn": RECORDING_ARN},
        )

        arn = make_backend(client).ensure_recording_configuration(
            bucket="media-bucket", name="videoplatform-live"
        )

        assert arn == RECORDING_ARN
        assert len(sleeps) == 1


class TestRevokeStreamKey:
    def test_revoke_stops_the_stream_then_deletes_the_key(self, stubbed_ivs):
        """A banned owner's channel: StopStream (not broadcasting is fine), then
        DeleteStreamKey, and no new key."""
        client, stubber = stubbed_ivs
        stubber.add_client_error(
            "stop_stream",
            service_error_code="ChannelNotBroadcasting",
            http_status_code=404,
            expected_params={"channelArn": CHANNEL_ARN},
        )
        stubber.add_response("delete_stream_key", {}, {"arn": OLD_KEY_ARN})
        make_backend(client).revoke_stream_key(
            channel=LiveChannel(
                channel_arn=CHANNEL_ARN,
                ingest_url="rtmps://x",
                stream_key="sk",
                playback_url=None,
                stream_key_arn=OLD_KEY_ARN,
            )
        )
