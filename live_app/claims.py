"""The UniqueClaims items the live app keeps, and the channel a session streams to.

Written only by the live app's services (``live_app.services``,
``live_app.service_channels``), each in the same transaction as the session it names:

- ``streamkey#<key>`` -> the session whose key it is (the local ingest's on_publish);
- ``livechannel#<channel ARN>`` -> the CURRENT session on that channel of the live
  service (AWS events name the channel, not the session). On IVS a channel of ours keeps
  one IVS channel for its life, so each go-live moves this claim to the new session;
- ``ivschannel#<our channel id>`` -> the ARN of that IVS channel (made on the first
  go-live, deleted with ``delete_live_channel``).
"""

from live_app.backends.base import LiveChannel
from live_app.models import LivestreamSession
from videoplatform.dynamodb import item_or_none
from videoplatform.models import UniqueClaim


def key_claim(stream_key: str) -> str:
    return f"streamkey#{stream_key}"


def channel_claim(channel_arn: str) -> str:
    return f"livechannel#{channel_arn}"


def service_channel_claim(channel_id: str) -> str:
    return f"ivschannel#{channel_id}"


def channel_of(session: LivestreamSession) -> LiveChannel:
    return LiveChannel(
        channel_arn=session.channel_arn,
        ingest_url=session.ingest_url or "",
        stream_key=session.stream_key or "",
        playback_url=session.playback_url,
        stream_key_arn=session.stream_key_arn,
    )


def session_by_claim(claim_id: str) -> LivestreamSession | None:
    claim = item_or_none(UniqueClaim, claim_id, consistent=True)
    return item_or_none(LivestreamSession, claim.owner_id, consistent=True) if claim else None


def service_channel_arn(channel_id: str) -> str | None:
    """The live service's channel kept for this channel of ours, if it has one yet."""
    claim = item_or_none(UniqueClaim, service_channel_claim(channel_id), consistent=True)
    return claim.owner_id if claim else None
