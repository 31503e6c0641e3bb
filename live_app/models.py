"""Livestream sessions (PynamoDB model)."""

from enum import StrEnum

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from live_app import recent
from videoplatform.dynamodb import base_meta, register, sharded_key
from videoplatform.local_cache import ForgetsOnWrite


class LiveStatus(StrEnum):
    CREATED = "created"
    LIVE = "live"
    ENDED = "ended"
    FAILED = "failed"


class LiveChannelIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "channel-index"
        projection = AllProjection()

    channel_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class LiveOwnerIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "owner-index"
        projection = AllProjection()

    owner_user_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


# Values of the sparse ``live-index``: sessions live now, and ended sessions whose replay
# has not been made yet. reconcile_live reads both, because stream and recording events
# can be lost.
# Each is split over LIVE_SHARDS partitions (``live#<n>``), so sessions starting and
# ending across the site do not all write one key.
LIVE_NOW = "live"
AWAITING_REPLAY = "awaiting-replay"
LIVE_SHARDS = 4


def live_shard_of(name: str, stream_id: str) -> str:
    return sharded_key(name, stream_id, LIVE_SHARDS)


class LiveStateIndex(GlobalSecondaryIndex):
    """Sparse: only sessions that are live, or ended and still waiting for their replay."""

    class Meta:
        index_name = "live-index"
        projection = AllProjection()

    live_partition = UnicodeAttribute(hash_key=True)
    live_since = NumberAttribute(range_key=True)


@register
class LivestreamSession(ForgetsOnWrite, Model):
    Meta = base_meta("LivestreamSessions")

    def forget_recent(self) -> None:
        recent.forget(getattr(self, "channel_id", None) or "")

    stream_id = UnicodeAttribute(hash_key=True)
    channel_id = UnicodeAttribute()
    owner_user_id = UnicodeAttribute()
    title = UnicodeAttribute()
    status = UnicodeAttribute(default=LiveStatus.CREATED)
    # Secret: shown only to the owner, never logged.
    stream_key = UnicodeAttribute(null=True)
    ingest_url = UnicodeAttribute(null=True)
    # The backend's channel (an IVS channel ARN, or "local:channel/<stream_id>"):
    # AWS events name it, and a UniqueClaim "livechannel#<arn>" maps it back to the
    # current session. On IVS every session of a channel of ours shares one ARN.
    channel_arn = UnicodeAttribute(null=True)
    stream_key_arn = UnicodeAttribute(null=True)
    playback_url = UnicodeAttribute(null=True)
    replay_video_id = UnicodeAttribute(null=True)
    created_at = NumberAttribute()
    started_at = NumberAttribute(null=True)
    ended_at = NumberAttribute(null=True)
    # Set only while the session belongs in the sparse live-index.
    live_partition = UnicodeAttribute(null=True)
    live_since = NumberAttribute(null=True)

    channel_index = LiveChannelIndex()
    owner_index = LiveOwnerIndex()
    live_index = LiveStateIndex()

    def __repr__(self) -> str:
        # PynamoDB's repr lists every attribute; the stream key must never reach a log.
        return f"LivestreamSession(stream_id={self.stream_id!r}, status={self.status!r})"


def is_live_now(session: LivestreamSession) -> bool:
    """In the live-index as live now (rather than waiting for its replay)."""
    return (session.live_partition or "").rsplit("#", 1)[0] == LIVE_NOW
