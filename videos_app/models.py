"""Videos (PynamoDB model mirroring the DynamoDB schema)."""

from enum import StrEnum

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from videoplatform.dynamodb import base_meta, register, sharded_key
from videoplatform.local_cache import ForgetsOnWrite
from videos_app import recent


class VideoStatus(StrEnum):
    UPLOADING = "uploading"
    UPLOADED = "uploaded"
    QUEUED = "queued"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"
    REMOVED = "removed"

    @property
    def label(self) -> str:
        """What people read in the studio; the value stays for code, CSS and tests."""
        return str(_STATUS_LABELS[self])


_STATUS_LABELS = {
    VideoStatus.UPLOADING: _("Uploading"),
    VideoStatus.UPLOADED: _("Waiting to process"),
    VideoStatus.QUEUED: _("Waiting to process"),
    VideoStatus.PROCESSING: _("Processing"),
    VideoStatus.READY: _("Published"),
    VideoStatus.FAILED: _("Failed"),
    VideoStatus.REMOVED: _("Removed by a moderator"),
}


PENDING_STATUSES = frozenset({VideoStatus.UPLOADED, VideoStatus.QUEUED, VideoStatus.PROCESSING})
FINAL_STATUSES = frozenset({VideoStatus.READY, VideoStatus.FAILED, VideoStatus.REMOVED})


class Visibility(StrEnum):
    PUBLIC = "public"
    UNLISTED = "unlisted"
    PRIVATE = "private"

    @property
    def label(self) -> str:
        """What people read in the studio; the value stays for code, CSS and tests."""
        return str(_VISIBILITY_LABELS[self])


_VISIBILITY_LABELS = {
    Visibility.PUBLIC: _("Public"),
    Visibility.UNLISTED: _("Unlisted"),
    Visibility.PRIVATE: _("Private"),
}


# Sparse indexes: an item is in the index only while it has the attribute. Site-wide
# listings are split over several partitions (``<name>#<n>``, n from the video id), so
# no write puts every video under one key; their readers merge the partitions.
FEED = "public"
FEED_SHARDS = 8
PENDING = "pending"
# Videos still waiting for their file share the pending index under their own name, so
# uploads nobody finished can be found and settled.
UPLOADING = "uploading"
PENDING_SHARDS = 4


def feed_shard_of(video_id: str) -> str:
    return sharded_key(FEED, video_id, FEED_SHARDS)


def pending_shard_of(name: str, video_id: str) -> str:
    return sharded_key(name, video_id, PENDING_SHARDS)


class VideoChannelIndex(GlobalSecondaryIndex):
    """Every video of a channel, newest first (the studio)."""

    class Meta:
        index_name = "channel-index"
        projection = AllProjection()

    channel_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class VideoOwnerIndex(GlobalSecondaryIndex):
    """Every video of a user across their channels, newest first (the studio)."""

    class Meta:
        index_name = "owner-index"
        projection = AllProjection()

    owner_user_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class VideoChannelPublicIndex(GlobalSecondaryIndex):
    """Sparse: only ready public videos carry ``public_channel_id`` (the channel page)."""

    class Meta:
        index_name = "channel-public-index"
        projection = AllProjection()

    public_channel_id = UnicodeAttribute(hash_key=True)
    published_at = NumberAttribute(range_key=True)


class VideoFeedShardIndex(GlobalSecondaryIndex):
    """Sparse: only listed videos (ready, public, owner in good standing) carry
    ``feed_shard`` (the home page merges the FEED_SHARDS partitions). Keys only: the
    page reads the videos by key, and an edit rewrites nothing here."""

    class Meta:
        index_name = "feed-shard-index"
        projection = KeysOnlyProjection()

    feed_shard = UnicodeAttribute(hash_key=True)
    published_at = NumberAttribute(range_key=True)


class VideoPendingIndex(GlobalSecondaryIndex):
    """Sparse: videos whose transcode is not settled (worker claims, reconcile) under
    ``pending#<n>``, and under ``uploading#<n>`` the videos whose upload is not finished.

    All attributes are projected: the set is small and the worker needs status and lease.
    """

    class Meta:
        index_name = "pending-index"
        projection = AllProjection()

    pending_partition = UnicodeAttribute(hash_key=True)
    pending_since = NumberAttribute(range_key=True)


@register
class Video(ForgetsOnWrite, Model):
    Meta = base_meta("Videos")

    video_id = UnicodeAttribute(hash_key=True)
    channel_id = UnicodeAttribute()
    owner_user_id = UnicodeAttribute()
    title = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    visibility = UnicodeAttribute(default=Visibility.PUBLIC)
    status = UnicodeAttribute(default=VideoStatus.UPLOADING)
    status_reason = UnicodeAttribute(null=True)
    created_at = NumberAttribute()
    published_at = NumberAttribute(null=True)

    source_key = UnicodeAttribute(null=True)
    source_bytes = NumberAttribute(null=True)
    duration_s = NumberAttribute(null=True)
    width = NumberAttribute(null=True)
    height = NumberAttribute(null=True)
    renditions = ListAttribute(of=UnicodeAttribute, default=list)
    poster_key = UnicodeAttribute(null=True)
    playlist_key = UnicodeAttribute(null=True)

    # A large file goes up as a resumable multipart upload: its id, the part size and the
    # size the browser declared (which fixes every part's size).
    upload_id = UnicodeAttribute(null=True)
    upload_part_bytes = NumberAttribute(null=True)
    upload_bytes = NumberAttribute(null=True)

    # Transcode job state: a worker holds a lease it renews; an expired lease is requeued.
    job_id = UnicodeAttribute(null=True)
    attempts = NumberAttribute(default=0)
    lease_owner = UnicodeAttribute(null=True)
    lease_expires_at = NumberAttribute(null=True)
    progress = NumberAttribute(default=0)
    last_event_at = NumberAttribute(null=True)

    # Moderation: a removed video remembers the status to restore; a banned owner's
    # videos are hidden without losing their status.
    removed_from_status = UnicodeAttribute(null=True)
    owner_banned = BooleanAttribute(default=False)
    in_review = BooleanAttribute(default=False)

    # Set only while the video belongs in a sparse index (see the index classes).
    public_channel_id = UnicodeAttribute(null=True)
    feed_shard = UnicodeAttribute(null=True)
    pending_partition = UnicodeAttribute(null=True)
    pending_since = NumberAttribute(null=True)

    channel_index = VideoChannelIndex()
    owner_index = VideoOwnerIndex()
    channel_public_index = VideoChannelPublicIndex()
    feed_shard_index = VideoFeedShardIndex()
    pending_index = VideoPendingIndex()

    # Counts live in the Tallies table; selectors that read them attach them here.
    counts = None

    def forget_recent(self) -> None:
        recent.forget(self.video_id, getattr(self, "channel_id", None))

    @property
    def view_count(self) -> int:
        return self.counts.views if self.counts else 0

    @property
    def like_count(self) -> int:
        return self.counts.likes if self.counts else 0

    @property
    def comment_count(self) -> int:
        return self.counts.comments if self.counts else 0

    @property
    def listed(self) -> bool:
        """In the public listings (home feed, channel page) right now."""
        return bool(self.feed_shard)

    @property
    def status_label(self) -> str:
        """The status in words; a ready private video is "Ready", not "Published"."""
        status = VideoStatus(self.status)
        if status is VideoStatus.READY and self.visibility == Visibility.PRIVATE:
            return gettext("Ready")
        return status.label

    @property
    def visibility_label(self) -> str:
        return Visibility(self.visibility).label


# The search index's pending-index queue (registered with the tables here).
from videos_app.search.models import SearchPending  # noqa: E402, F401
