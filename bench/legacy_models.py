"""The models as they were before the scale refactor, kept for `python -m bench scale`.

A copy of the models the old write path (``bench/legacy_write_path.py``) wrote to, as
of the commit the refactor started from (the models beside `git show
499d47c:social_app/services.py`): the counters sit on the Video and Channel items, which
six (Video) and one (Channel) all-attribute indexes project.

The tables are the bench's own (``<prefix>legacy_<name>``): created by
``create_tables()``, dropped by ``delete_tables()``, never registered with
``videoplatform.dynamodb.register`` (so ``ensure_tables`` never sees them).

Import this module only once Django is set up: the models read the settings.
"""

from __future__ import annotations

from django.conf import settings
from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

PREFIX = "legacy_"


def _meta(suffix: str) -> type:
    """A model Meta like the app's ``base_meta``, for a bench-only table."""

    class Meta:
        table_name = f"{settings.DYNAMODB_TABLE_PREFIX}{PREFIX}{suffix}"
        region = settings.AWS_REGION
        host = settings.DYNAMODB_ENDPOINT_URL or None
        aws_access_key_id = settings.AWS_ACCESS_KEY_ID or None
        aws_secret_access_key = settings.AWS_SECRET_ACCESS_KEY or None
        billing_mode = "PAY_PER_REQUEST"

    return Meta


# --- Models (copied; counters on the items, every index projecting every attribute) ---


class LegacyVideoChannelIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "channel-index"
        projection = AllProjection()

    channel_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class LegacyVideoOwnerIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "owner-index"
        projection = AllProjection()

    owner_user_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class LegacyVideoChannelPublicIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "channel-public-index"
        projection = AllProjection()

    public_channel_id = UnicodeAttribute(hash_key=True)
    published_at = NumberAttribute(range_key=True)


class LegacyVideoPublicFeedIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "public-feed-index"
        projection = AllProjection()

    feed_partition = UnicodeAttribute(hash_key=True)
    published_at = NumberAttribute(range_key=True)


class LegacyVideoPendingIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "pending-index"
        projection = AllProjection()

    pending_partition = UnicodeAttribute(hash_key=True)
    pending_since = NumberAttribute(range_key=True)


class LegacyVideoFanoutIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "fanout-index"
        projection = KeysOnlyProjection()

    fanout_partition = UnicodeAttribute(hash_key=True)
    fanout_since = NumberAttribute(range_key=True)


class LegacyVideo(Model):
    Meta = _meta("Videos")

    video_id = UnicodeAttribute(hash_key=True)
    channel_id = UnicodeAttribute()
    owner_user_id = UnicodeAttribute()
    title = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    visibility = UnicodeAttribute(default="public")
    status = UnicodeAttribute(default="uploading")
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

    upload_id = UnicodeAttribute(null=True)
    upload_part_bytes = NumberAttribute(null=True)
    upload_bytes = NumberAttribute(null=True)

    job_id = UnicodeAttribute(null=True)
    attempts = NumberAttribute(default=0)
    lease_owner = UnicodeAttribute(null=True)
    lease_expires_at = NumberAttribute(null=True)
    progress = NumberAttribute(default=0)
    last_event_at = NumberAttribute(null=True)

    removed_from_status = UnicodeAttribute(null=True)
    owner_banned = BooleanAttribute(default=False)
    in_review = BooleanAttribute(default=False)

    view_count = NumberAttribute(default=0)
    like_count = NumberAttribute(default=0)
    comment_count = NumberAttribute(default=0)

    public_channel_id = UnicodeAttribute(null=True)
    feed_partition = UnicodeAttribute(null=True)
    pending_partition = UnicodeAttribute(null=True)
    pending_since = NumberAttribute(null=True)
    fanout_partition = UnicodeAttribute(null=True)
    fanout_since = NumberAttribute(null=True)

    channel_index = LegacyVideoChannelIndex()
    owner_index = LegacyVideoOwnerIndex()
    channel_public_index = LegacyVideoChannelPublicIndex()
    public_feed_index = LegacyVideoPublicFeedIndex()
    pending_index = LegacyVideoPendingIndex()
    fanout_index = LegacyVideoFanoutIndex()


class LegacyChannelOwnerIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "owner-index"
        projection = AllProjection()

    owner_user_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class LegacyChannel(Model):
    Meta = _meta("Channels")

    channel_id = UnicodeAttribute(hash_key=True)
    owner_user_id = UnicodeAttribute()
    handle = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    avatar_key = UnicodeAttribute(null=True)
    banner_key = UnicodeAttribute(null=True)
    subscriber_count = NumberAttribute(default=0)
    video_count = NumberAttribute(default=0)
    created_at = NumberAttribute()
    owner_banned = BooleanAttribute(default=False)

    owner_index = LegacyChannelOwnerIndex()


class LegacyCommentUserIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "user-index"
        projection = KeysOnlyProjection()

    user_id = UnicodeAttribute(hash_key=True)
    comment_id = UnicodeAttribute(range_key=True)


class LegacyComment(Model):
    Meta = _meta("Comments")

    video_id = UnicodeAttribute(hash_key=True)
    comment_id = UnicodeAttribute(range_key=True)
    user_id = UnicodeAttribute()
    author_name = UnicodeAttribute(default="")
    text = UnicodeAttribute()
    parent_id = UnicodeAttribute(null=True)
    created_at = NumberAttribute()
    edited_at = NumberAttribute(null=True)
    deleted = BooleanAttribute(default=False)
    hidden = BooleanAttribute(default=False)
    removed_reason = UnicodeAttribute(null=True)

    user_index = LegacyCommentUserIndex()


class LegacyLikeUserIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "user-index"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class LegacyLike(Model):
    Meta = _meta("Likes")

    video_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(range_key=True)
    created_at = NumberAttribute()

    user_index = LegacyLikeUserIndex()


class LegacySubscriptionChannelIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "channel-index"
        projection = AllProjection()

    channel_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(range_key=True)


class LegacySubscription(Model):
    Meta = _meta("Subscriptions")

    user_id = UnicodeAttribute(hash_key=True)
    channel_id = UnicodeAttribute(range_key=True)
    notify = UnicodeAttribute(default="all")
    created_at = NumberAttribute()

    channel_index = LegacySubscriptionChannelIndex()


class LegacyCounter(Model):
    """The view markers lived in the rate-limit Counters table."""

    Meta = _meta("Counters")

    counter_key = UnicodeAttribute(hash_key=True)
    count = NumberAttribute(default=0)
    expires_at = NumberAttribute()


MODELS = (LegacyVideo, LegacyChannel, LegacyComment, LegacyLike, LegacySubscription, LegacyCounter)


def create_tables() -> None:
    for model in MODELS:
        if not model.exists():
            model.create_table(wait=True, billing_mode="PAY_PER_REQUEST")


def delete_tables() -> None:
    for model in MODELS:
        if model.exists():
            model.delete_table()
