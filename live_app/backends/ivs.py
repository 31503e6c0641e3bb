"""Live streaming with Amazon IVS: channels, stream keys, recording to S3, private playback."""

import logging
import re
import time
from dataclasses import replace
from typing import Any

import jwt
from botocore.exceptions import BotoCoreError, ClientError
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from live_app.backends.base import FoundRecording, LiveBackend, LiveBackendError, LiveChannel
from videoplatform import storage
from videoplatform.aws import s3_client

logger = logging.getLogger(__name__)

PLAYBACK_TOKEN_SECONDS = 300
# IVS refuses a viewer-id longer than this.
MAX_VIEWER_ID_LENGTH = 40
RECORDING_ACTIVE_TIMEOUT_SECONDS = 60.0
RECORDING_POLL_SECONDS = 1.0
RECORDING_ENDED_MARKER = "/events/recording-ended.json"
_CHANNEL_ARN = re.compile(
    r"arn:aws[a-z-]*:ivs:[a-z0-9-]+:(?P<account>\d{12}):channel/(?P<channel>[A-Za-z0-9]+)"
)

_EXPLANATIONS = {
    "AccessDeniedException": "the AWS credentials are not allowed to do this",
    "ConflictException": "IVS reports a conflict (the channel may be live)",
    "PendingVerification": "the AWS account is still pending verification",
    "ResourceNotFoundException": "IVS does not know this resource",
    "ServiceQuotaExceededException": "the IVS quota for this account is used up",
    "StreamUnavailable": "IVS could not reach the stream",
    "ThrottlingException": "IVS is throttling requests; try again shortly",
    "ValidationException": "IVS rejected the request's parameters",
}


def _error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def _backend_error(action: str, error: Exception) -> LiveBackendError:
    # Only the error code reaches the reason: AWS messages can carry account ids and
    # principal ARNs, and nothing here may echo a stream key.
    if isinstance(error, ClientError):
        code = _error_code(error) or "Error"
        explanation = _EXPLANATIONS.get(code, "IVS refused the request")
        reason = f"Could not {action}: {explanation} ({code})."
    else:
        reason = f"Could not {action}: IVS could not be reached ({type(error).__name__})."
    logger.warning("IVS call failed: %s", reason)
    return LiveBackendError(reason)


def _ivs_name(name: str) -> str:
    # IVS names allow only [a-zA-Z0-9-_], up to 128 characters; titles are free text.
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")[:128]


class IvsBackend(LiveBackend):
    name = "ivs"
    player = "ivs"
    # CreateChannel is limited to 5 a second and channels per account are capped: each
    # channel of ours keeps one IVS channel, and each session gets a new key on it.
    reuses_channels = True

    def __init__(
        self,
        *,
        client: Any,
        latency_mode: str = "LOW",
        channel_type: str = "STANDARD",
        recording_configuration_arn: str | None = None,
        playback_private_key_pem: str | None = None,
        playback_key_pair_arn: str | None = None,
        allowed_origin: str | None = None,
        recording_bucket: str | None = None,
    ) -> None:
        self.client = client
        self.recording_bucket = recording_bucket or None
        self.latency_mode = latency_mode
        self.channel_type = channel_type
        self.recording_configuration_arn = recording_configuration_arn or None
        self.playback_private_key_pem = playback_private_key_pem or None
        # Not put in tokens (IVS checks them against the imported key pairs); kept so
        # operators can see which imported pair the private key belongs to.
        self.playback_key_pair_arn = playback_key_pair_arn or None
        self.allowed_origin = allowed_origin or None
        if self.playback_private_key_pem:
            self._check_private_key(self.playback_private_key_pem)

    @staticmethod
    def _check_private_key(pem: str) -> None:
        # Fails at start-up rather than on the first private viewer.
        try:
            key = load_pem_private_key(pem.encode(), password=None)
        except (ValueError, TypeError):
            raise LiveBackendError("The IVS playback private key is not a readable PEM key.")
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp384r1":
            raise LiveBackendError("The IVS playback private key must be an EC P-384 key.")

    def _call(self, action: str, operation: str, *, tolerate: str | None = None, **params):
        """Call an IVS operation; errors become LiveBackendError, except a ``tolerate`` code."""
        try:
            return getattr(self.client, operation)(**params)
        except ClientError as error:
            if tolerate is not None and _error_code(error) == tolerate:
                return None
            raise _backend_error(action, error) from error
        except BotoCoreError as error:
            raise _backend_error(action, error) from error

    def create_channel(
        self, *, stream_id: str, name: str, private: bool, channel_id: str | None = None
    ) -> LiveChannel:
        params: dict[str, Any] = {
            "name": _ivs_name(name),
            "latencyMode": self.latency_mode,
            "type": self.channel_type,
            "authorized": private,
            # Which channel of ours it serves, so an operator can tell IVS channels apart.
            "tags": {"channel_id": channel_id} if channel_id else {"stream_id": stream_id},
        }
        if self.recording_configuration_arn:
            params["recordingConfigurationArn"] = self.recording_configuration_arn
        response = self._call("create the IVS channel", "create_channel", **params)
        channel = response["channel"]
        stream_key = response["streamKey"]
        return LiveChannel(
            channel_arn=channel["arn"],
            ingest_url=f"rtmps://{channel['ingestEndpoint']}:443/app/",
            stream_key=stream_key["value"],
            playback_url=channel.get("playbackUrl"),
            stream_key_arn=stream_key["arn"],
        )

    def rotate_stream_key(self, *, channel: LiveChannel) -> LiveChannel:
        if not channel.channel_arn or not channel.stream_key_arn:
            raise LiveBackendError("Could not rotate the stream key: this is not an IVS channel.")
        # A missing old key means an earlier rotation failed after deleting it: the revoke
        # tolerates that, so this retry finishes the job.
        self.revoke_stream_key(channel=channel)
        response = self._call(
            "create a new stream key", "create_stream_key", channelArn=channel.channel_arn
        )
        stream_key = response["streamKey"]
        return replace(channel, stream_key=stream_key["value"], stream_key_arn=stream_key["arn"])

    def renew_stream_key(self, *, channel: LiveChannel) -> LiveChannel:
        """DeleteStreamKey (the last session's) then CreateStreamKey on the same channel.

        IVS allows one key per channel. A key made by a go-live that died before saving
        it is unknown to us and would refuse every later CreateStreamKey, so on that
        refusal the channel's keys are listed and deleted first. The caller holds the
        channel (its session claim was moved first), so no other go-live is making one.
        """
        if not channel.channel_arn:
            raise LiveBackendError("Could not renew the stream key: this is not an IVS channel.")
        if channel.stream_key_arn:
            self._delete_stream_key(channel.stream_key_arn)
        try:
            response = self.client.create_stream_key(channelArn=channel.channel_arn)
        except ClientError as error:
            if _error_code(error) != "ServiceQuotaExceededException":
                raise _backend_error("create a new stream key", error) from error
            self._delete_every_stream_key(channel.channel_arn)
            response = self._call(
                "create a new stream key", "create_stream_key", channelArn=channel.channel_arn
            )
        except BotoCoreError as error:
            raise _backend_error("create a new stream key", error) from error
        stream_key = response["streamKey"]
        return replace(channel, stream_key=stream_key["value"], stream_key_arn=stream_key["arn"])

    def _delete_stream_key(self, arn: str) -> None:
        self._call(
            "delete the stream key",
            "delete_stream_key",
            tolerate="ResourceNotFoundException",
            arn=arn,
        )

    def _delete_every_stream_key(self, channel_arn: str) -> None:
        response = self._call("list the stream keys", "list_stream_keys", channelArn=channel_arn)
        for summary in response.get("streamKeys", []):
            self._delete_stream_key(summary["arn"])

    def revoke_stream_key(self, *, channel: LiveChannel) -> None:
        if not channel.channel_arn:
            return
        self._call(
            "stop the stream",
            "stop_stream",
            tolerate="ChannelNotBroadcasting",
            channelArn=channel.channel_arn,
        )
        if channel.stream_key_arn:
            self._delete_stream_key(channel.stream_key_arn)

    def stop_stream(self, *, channel: LiveChannel, stream_id: str) -> None:
        """DeleteStreamKey, then StopStream: IVS advises revoking the key first, since
        encoders reconnect a dropped stream on their own. The next go-live on the channel
        makes a new key (``renew_stream_key`` tolerates this one being gone)."""
        if not channel.channel_arn:
            return
        if channel.stream_key_arn:
            self._delete_stream_key(channel.stream_key_arn)
        self._call(
            "stop the stream",
            "stop_stream",
            tolerate="ChannelNotBroadcasting",
            channelArn=channel.channel_arn,
        )

    def delete_channel(self, *, channel: LiveChannel) -> None:
        if not channel.channel_arn:
            return
        self._call(
            "delete the IVS channel",
            "delete_channel",
            tolerate="ResourceNotFoundException",
            arn=channel.channel_arn,
        )

    def playback_url(
        self, *, channel: LiveChannel, private: bool, viewer_id: str | None
    ) -> str | None:
        if not channel.playback_url:
            return None
        if not private:
            return channel.playback_url
        return f"{channel.playback_url}?token={self._playback_token(channel, viewer_id)}"

    def _playback_token(self, channel: LiveChannel, viewer_id: str | None) -> str:
        if not self.playback_private_key_pem:
            raise LiveBackendError("Private playback needs an IVS playback private key.")
        if viewer_id is not None and len(viewer_id) > MAX_VIEWER_ID_LENGTH:
            raise LiveBackendError(
                f"An IVS viewer id is at most {MAX_VIEWER_ID_LENGTH} characters."
            )
        claims: dict[str, Any] = {
            "aws:channel-arn": channel.channel_arn,
            # IVS reads exp in Unix seconds; a millisecond value would never expire.
            "exp": int(time.time()) + PLAYBACK_TOKEN_SECONDS,
        }
        if self.allowed_origin:
            claims["aws:access-control-allow-origin"] = self.allowed_origin
        if viewer_id is not None:
            claims["aws:viewer-id"] = viewer_id
        return jwt.encode(claims, self.playback_private_key_pem, algorithm="ES384")

    def is_broadcasting(self, *, channel: LiveChannel, stream_id: str) -> bool:
        if not channel.channel_arn:
            return False
        response = self._call(
            "read the IVS stream",
            "get_stream",
            tolerate="ChannelNotBroadcasting",
            channelArn=channel.channel_arn,
        )
        return bool(response) and response.get("stream", {}).get("state") == "LIVE"

    def find_recording(
        self, *, channel: LiveChannel, stream_id: str, since: int, until: int | None = None
    ) -> FoundRecording | None:
        """IVS writes ivs/v1/<account>/<channel id>/<date>/<recording id>/ into the
        recording bucket and, when a recording is finished, events/recording-ended.json."""
        if not self.recording_bucket or not channel.channel_arn:
            return None
        match = _CHANNEL_ARN.fullmatch(channel.channel_arn)
        if match is None:
            return None
        prefix = f"ivs/v1/{match['account']}/{match['channel']}/"
        if until is None:
            newest = storage.newest_object(
                bucket=self.recording_bucket,
                prefix=prefix,
                modified_since=since,
                key_suffix=RECORDING_ENDED_MARKER,
            )
            key = newest.key if newest else None
        else:
            key = self._newest_marker_between(prefix=prefix, since=since, until=until)
        if key is None:
            return None
        return FoundRecording(
            bucket=self.recording_bucket, prefix=key[: -len(RECORDING_ENDED_MARKER)]
        )

    def _newest_marker_between(self, *, prefix: str, since: int, until: int) -> str | None:
        newest: tuple[float, str] | None = None
        pages = (
            s3_client()
            .get_paginator("list_objects_v2")
            .paginate(Bucket=self.recording_bucket, Prefix=prefix)
        )
        for page in pages:
            for obj in page.get("Contents", []):
                modified = obj["LastModified"].timestamp()
                if not obj["Key"].endswith(RECORDING_ENDED_MARKER):
                    continue
                if since <= modified < until and (newest is None or modified > newest[0]):
                    newest = (modified, obj["Key"])
        return newest[1] if newest else None

    def ensure_recording_configuration(self, *, bucket: str, name: str) -> str:
        """The ARN of an ACTIVE recording configuration writing to ``bucket``, made if missing."""
        try:
            existing = self._find_recording_configuration(bucket)
            if existing is None:
                response = self.client.create_recording_configuration(
                    name=_ivs_name(name),
                    destinationConfiguration={"s3": {"bucketName": bucket}},
                )
                existing = response["recordingConfiguration"]
        except (ClientError, BotoCoreError) as error:
            raise _backend_error("set up IVS recording to S3", error) from error
        return self._wait_until_active(existing)

    def _find_recording_configuration(self, bucket: str) -> dict[str, Any] | None:
        found = []
        paginator = self.client.get_paginator("list_recording_configurations")
        for page in paginator.paginate():
            for summary in page.get("recordingConfigurations", []):
                s3 = summary.get("destinationConfiguration", {}).get("s3", {})
                if s3.get("bucketName") == bucket and summary.get("state") != "CREATE_FAILED":
                    found.append(summary)
        # An ACTIVE one can be used at once; a CREATING one is still better than a new one.
        found.sort(key=lambda summary: summary.get("state") != "ACTIVE")
        return found[0] if found else None

    def _wait_until_active(self, configuration: dict[str, Any]) -> str:
        # A channel can only be given a configuration that is ACTIVE.
        arn = configuration["arn"]
        state = configuration.get("state")
        deadline = time.monotonic() + RECORDING_ACTIVE_TIMEOUT_SECONDS
        while state != "ACTIVE":
            if state == "CREATE_FAILED":
                raise LiveBackendError(
                    "Could not set up IVS recording to S3: IVS failed to create the recording "
                    "configuration (is the bucket in the same account and region?)."
                )
            if time.monotonic() >= deadline:
                raise LiveBackendError(
                    "Could not set up IVS recording to S3: the recording configuration did not "
                    "become active in time."
                )
            time.sleep(RECORDING_POLL_SECONDS)
            try:
                response = self.client.get_recording_configuration(arn=arn)
            except (ClientError, BotoCoreError) as error:
                raise _backend_error("check the IVS recording configuration", error) from error
            state = response["recordingConfiguration"].get("state")
        return arn
