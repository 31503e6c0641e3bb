"""Likes, comments, subscriptions and notifications (PynamoDB models)."""

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from videoplatform.dynamodb import ExpiresAtAttribute, base_meta, register


class CommentUserIndex(GlobalSecondaryIndex):
    """A user's comments (hidden and shown again on ban and unban)."""

    class Meta:
        index_name = "user-index"
        projection = KeysOnlyProjection()

    user_id = UnicodeAttribute(hash_key=True)
    comment_id = UnicodeAttribute(range_key=True)


@register
class Comment(Model):
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


class SubscriptionChannelIndex(GlobalSecondaryIndex):
    """A channel's subscribers, for the fan-out of notifications."""

    class Meta:
        index_name = "channel-index"
        projection = AllProjection()

    channel_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(range_key=True)


@register
class Subscription(Model):
    Meta = base_meta("Subscriptions")

    user_id = UnicodeAttribute(hash_key=True)
    channel_id = UnicodeAttribute(range_key=True)
    notify = UnicodeAttribute(default="all")  # "all" | "none"
    created_at = NumberAttribute()

    channel_index = SubscriptionChannelIndex()


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
    created_at = NumberAttribute()
    expires_at = ExpiresAtAttribute()


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

    log_partition = UnicodeAttribute(hash_key=True)  # "audit": one list, newest last
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
