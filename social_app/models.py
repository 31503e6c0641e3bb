"""Likes, comments, subscriptions and notifications (PynamoDB models)."""

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from videoplatform.dynamodb import ExpiresAtAttribute, base_meta, register


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
