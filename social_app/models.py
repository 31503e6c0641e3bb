"""Likes, comments, subscriptions and notifications (PynamoDB models)."""

import time
from enum import StrEnum

from django.utils.translation import gettext_lazy as _
from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import (
    AllProjection,
    GlobalSecondaryIndex,
    IncludeProjection,
    KeysOnlyProjection,
)
from pynamodb.models import Model

from social_app import recent
from videoplatform.dynamodb import ExpiresAtAttribute, base_meta, register, sharded_key
from videoplatform.local_cache import ForgetsOnWrite


class CommentUserIndex(GlobalSecondaryIndex):
    """A user's comments (hidden and shown again on ban and unban)."""

    class Meta:
        index_name = "user-index"
        projection = KeysOnlyProjection()

    user_id = UnicodeAttribute(hash_key=True)
    comment_id = UnicodeAttribute(range_key=True)


@register
class Comment(ForgetsOnWrite, Model):
    """Comment ids sort by time: a top-level comment's id is a ULID, a reply's id is
    ``<parent ULID>.<reply ULID>``, so a thread is contiguous in the partition and one
    Query returns whole threads, newest thread first."""

    Meta = base_meta("Comments")

    video_id = UnicodeAttribute(hash_key=True)
    comment_id = UnicodeAttribute(range_key=True)
    user_id = UnicodeAttribute()
    # Copied at write time so a page of comments costs no user lookups.
    author_name = UnicodeAttribute(default="")
    text = UnicodeAttribute()
    parent_id = UnicodeAttribute(null=True)
    created_at = NumberAttribute()
    edited_at = NumberAttribute(null=True)
    deleted = BooleanAttribute(default=False)
    # Set while the author is banned; cleared on unban.
    hidden = BooleanAttribute(default=False)
    removed_reason = UnicodeAttribute(null=True)

    user_index = CommentUserIndex()

    def forget_recent(self) -> None:
        recent.forget_comments(self.video_id)


class LikeUserIndex(GlobalSecondaryIndex):
    """A user's liked videos, newest first."""

    class Meta:
        index_name = "user-index"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


@register
class Like(Model):
    Meta = base_meta("Likes")

    video_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(range_key=True)
    created_at = NumberAttribute()

    user_index = LikeUserIndex()


# A channel's subscribers are spread over this many partitions of the subscriber index,
# so a popular channel's subscribes do not all land on one key, and its fan-out splits
# into as many shards that several workers can share.
SUBSCRIBER_SHARDS = 16


def subscriber_shard(channel_id: str, user_id: str) -> str:
    """``<channel_id>#<n>``: the subscriber-index partition of one subscription."""
    return sharded_key(channel_id, user_id, SUBSCRIBER_SHARDS)


class SubscriptionChannelShardIndex(GlobalSecondaryIndex):
    """A channel's subscribers, one shard at a time (the fan-out reads it shard by shard).
    Projects only ``notify``: a fan-out needs nothing else."""

    class Meta:
        index_name = "channel-shard-index"
        projection = IncludeProjection(["notify"])

    channel_shard = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(range_key=True)


@register
class Subscription(Model):
    Meta = base_meta("Subscriptions")

    user_id = UnicodeAttribute(hash_key=True)
    channel_id = UnicodeAttribute(range_key=True)
    # subscriber_shard(channel_id, user_id), set when the subscription is made.
    channel_shard = UnicodeAttribute()
    notify = UnicodeAttribute(default="all")  # "all" | "none"
    created_at = NumberAttribute()

    channel_shard_index = SubscriptionChannelShardIndex()


class NotificationUnreadIndex(GlobalSecondaryIndex):
    """Sparse: only unread notifications carry ``unread_user_id``, so the bell counts
    them with one Query of at most UNREAD_CAP + 1 keys, however many were read."""

    class Meta:
        index_name = "unread-index"
        # expires_at too: an expired one (TTL deletes lazily) is not counted.
        projection = IncludeProjection(["expires_at"])

    unread_user_id = UnicodeAttribute(hash_key=True)
    notification_id = UnicodeAttribute(range_key=True)


@register
class Notification(Model):
    """Notification ids are ULIDs (newest last in key order); items expire after 90 days."""

    Meta = base_meta("Notifications", ttl_attribute="expires_at")

    user_id = UnicodeAttribute(hash_key=True)
    notification_id = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()
    text = UnicodeAttribute()
    link = UnicodeAttribute(default="")
    read = BooleanAttribute(default=False)
    # The user's id while unread, removed when read (the sparse unread-index).
    unread_user_id = UnicodeAttribute(null=True)
    created_at = NumberAttribute()
    expires_at = ExpiresAtAttribute()

    unread_index = NotificationUnreadIndex()


@register
class FeedEntry(Model):
    """A published video in a subscriber's feed (written by the publish fan-out)."""

    Meta = base_meta("FeedEntries", ttl_attribute="expires_at")

    user_id = UnicodeAttribute(hash_key=True)
    # "<published_at, 10 digits>#<video_id>": newest last in key order.
    entry_id = UnicodeAttribute(range_key=True)
    video_id = UnicodeAttribute()
    channel_id = UnicodeAttribute()
    expires_at = ExpiresAtAttribute()


# The moderation queue is split over QUEUE_SHARDS partitions (``open#<n>``, n from the
# target), so reports across the site do not all write one key; its reader merges them.
QUEUE = "open"
QUEUE_SHARDS = 4


class ReportQueueIndex(GlobalSecondaryIndex):
    """Sparse: targets with open reports, highest priority (most reported, in review) first."""

    class Meta:
        index_name = "queue-index"
        projection = AllProjection()

    queue_partition = UnicodeAttribute(hash_key=True)
    priority = NumberAttribute(range_key=True)


class ReportOwnerIndex(GlobalSecondaryIndex):
    """Reports against a user's content (the moderation user page)."""

    class Meta:
        index_name = "owner-index"
        projection = AllProjection()

    owner_user_id = UnicodeAttribute(hash_key=True)
    last_reported_at = NumberAttribute(range_key=True)


class ReportStatus(StrEnum):
    """A Report's status: the value is stored, ``label`` is what moderators read."""

    OPEN = "open"
    DISMISSED = "dismissed"
    ACTIONED = "actioned"

    @property
    def label(self) -> str:
        return str(_REPORT_STATUS_LABELS[self])


_REPORT_STATUS_LABELS = {
    ReportStatus.OPEN: _("Open"),
    ReportStatus.DISMISSED: _("Dismissed"),
    ReportStatus.ACTIONED: _("Action taken"),
}


class TargetStatus(StrEnum):
    """A ReportTarget's status."""

    OPEN = "open"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return str(_TARGET_STATUS_LABELS[self])


_TARGET_STATUS_LABELS = {TargetStatus.OPEN: _("Open"), TargetStatus.CLOSED: _("Closed")}


@register
class ReportTarget(Model):
    """One item per reported video, comment or channel, aggregating its open reports.

    ``target_key`` is ``video#<id>``, ``comment#<video_id>#<comment_id>`` or ``channel#<id>``.
    """

    Meta = base_meta("ReportTargets")

    target_key = UnicodeAttribute(hash_key=True)
    target_type = UnicodeAttribute()
    owner_user_id = UnicodeAttribute()
    preview = UnicodeAttribute(default="")
    link = UnicodeAttribute(default="")
    open_count = NumberAttribute(default=0)
    reasons = UnicodeSetAttribute(default=set)
    recent_notes = ListAttribute(of=UnicodeAttribute, default=list)
    status = UnicodeAttribute(default="open")
    queue_partition = UnicodeAttribute(null=True)
    priority = NumberAttribute(default=0)
    in_review = BooleanAttribute(default=False)
    last_reported_at = NumberAttribute()

    queue_index = ReportQueueIndex()
    owner_index = ReportOwnerIndex()


@register
class Report(Model):
    """One reporter's report on one target: at most one open per reporter per target."""

    Meta = base_meta("Reports")

    target_key = UnicodeAttribute(hash_key=True)
    reporter_id = UnicodeAttribute(range_key=True)
    reason = UnicodeAttribute()
    note = UnicodeAttribute(default="")
    status = UnicodeAttribute(default="open")  # open | dismissed | actioned
    created_at = NumberAttribute()


# The audit log is keyed by month and one of AUDIT_SHARDS shards (``2026-12#<n>``, n
# from the moderator), so it spreads over keys while a reader can still walk it newest
# first: merge a month's shards, then the month before.
AUDIT_SHARDS = 4


def audit_month(timestamp: int) -> str:
    return time.strftime("%Y-%m", time.gmtime(timestamp))


def audit_partition(timestamp: int, moderator_id: str) -> str:
    return sharded_key(audit_month(timestamp), moderator_id, AUDIT_SHARDS)


class AuditModeratorIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "moderator-index"
        projection = AllProjection()

    moderator_id = UnicodeAttribute(hash_key=True)
    entry_id = UnicodeAttribute(range_key=True)


class AuditTargetIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "target-index"
        projection = AllProjection()

    target_key = UnicodeAttribute(hash_key=True)
    entry_id = UnicodeAttribute(range_key=True)


class AuditSubjectIndex(GlobalSecondaryIndex):
    """Moderation history of a user (the owner of the content acted on, or the banned user)."""

    class Meta:
        index_name = "subject-index"
        projection = AllProjection()

    subject_user_id = UnicodeAttribute(hash_key=True)
    entry_id = UnicodeAttribute(range_key=True)


@register
class AuditEntry(Model):
    """Who did what to which target, when and why. Entries are never changed."""

    Meta = base_meta("AuditLog")

    log_partition = UnicodeAttribute(hash_key=True)  # audit_partition(): month and shard
    entry_id = UnicodeAttribute(range_key=True)  # ULID
    moderator_id = UnicodeAttribute()
    moderator_name = UnicodeAttribute(default="")
    action = UnicodeAttribute()
    target_key = UnicodeAttribute()
    subject_user_id = UnicodeAttribute(default="-")
    reason = UnicodeAttribute()
    created_at = NumberAttribute()

    moderator_index = AuditModeratorIndex()
    target_index = AuditTargetIndex()
    subject_index = AuditSubjectIndex()


# --- Fan-out jobs ----------------------------------------------------------------------

# Open fan-out tasks are listed under FANOUT_OPEN_SHARDS partitions (``open#<n>``, n from
# the job and shard), so enqueueing a job or finishing a task never writes one site-wide
# key; workers merge the partitions when they look for work.
FANOUT_OPEN = "open"
FANOUT_OPEN_SHARDS = 4


def fanout_open_partition(job_id: str, shard: int) -> str:
    return sharded_key(FANOUT_OPEN, f"{job_id}#{shard}", FANOUT_OPEN_SHARDS)


class FanoutOpenIndex(GlobalSecondaryIndex):
    """Sparse: fan-out tasks still to run, oldest first. Projects only the lease expiry,
    so a worker skips leased tasks without reading them; a checkpoint rewrites the index
    item once per page (it renews the lease), which is nothing next to the page's writes."""

    class Meta:
        index_name = "open-index"
        projection = IncludeProjection(["lease_expires_at"])

    open_partition = UnicodeAttribute(hash_key=True)
    open_since = NumberAttribute(range_key=True)


@register
class FanoutTask(Model):
    """One shard of a publish or go-live fan-out: the subscribers of one partition of
    ``Subscription.channel_shard_index`` (``<channel_id>#<shard>``), walked in pages.

    ``job_id`` is ``video#<video_id>`` or ``live#<stream_id>``; a job has one task per
    subscriber shard, created together, so announcing twice cannot start it twice.
    ``cursor`` is the last subscriber done; a worker that dies leaves it (and its lease)
    behind, and the next worker starts after it once the lease has run out. Done tasks
    stay (so a repeated announcement finds the job) until their TTL.
    """

    Meta = base_meta("FanoutTasks", ttl_attribute="expires_at")

    job_id = UnicodeAttribute(hash_key=True)
    shard = NumberAttribute(range_key=True)  # 0..SUBSCRIBER_SHARDS-1
    kind = UnicodeAttribute()  # "video" | "live"
    channel_id = UnicodeAttribute()
    subject_id = UnicodeAttribute()  # the video or stream id
    text = UnicodeAttribute()
    link = UnicodeAttribute()
    published_ms = NumberAttribute()  # the time the notifications carry (and their ids)
    status = UnicodeAttribute(default="open")  # open | done
    cursor = UnicodeAttribute(null=True)  # last subscriber user_id delivered
    delivered = NumberAttribute(default=0)  # subscribers of this shard handled so far
    # The worker holding the task (once done: the one that finished it) and until when
    # (unix seconds, fractional): another worker may take it over only after that.
    lease_owner = UnicodeAttribute(null=True)
    lease_expires_at = NumberAttribute(null=True)
    attempts = NumberAttribute(default=0)  # claims so far (more than one: a resume)
    created_at = NumberAttribute()
    finished_at = NumberAttribute(null=True)
    expires_at = ExpiresAtAttribute(null=True)  # set when done

    # Set only while the task is open (fanout_open_partition, enqueue time).
    open_partition = UnicodeAttribute(null=True)
    open_since = NumberAttribute(null=True)

    open_index = FanoutOpenIndex()
