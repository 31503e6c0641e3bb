"""The write path as it was before the scale refactor, kept for `python -m bench scale`.

A copy of the four writes (view, like, comment, subscribe) as of the commit the
refactor started from (`git show 499d47c:social_app/services.py`), minus the permission
and rate-limit checks, on the old models copied into ``bench/legacy_models.py``: each
relationship item and the counter it drives change in one TransactWrite. Also the
seeding of channels and ready videos shaped as they were then. The benchmark runs it
side by side with today's path on the same DynamoDB Local.

Import this module only once Django is set up: the models read the settings.
"""

from __future__ import annotations

import os
import secrets
import time

from django.conf import settings
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from bench.legacy_models import (
    LegacyChannel,
    LegacyComment,
    LegacyCounter,
    LegacyLike,
    LegacySubscription,
    LegacyVideo,
)

FEED_PARTITION = "public"
VIEW_WINDOW_S = 30 * 60

# --- Helpers as they were (videoplatform.dynamodb at that commit) ----------------------

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_connection: Connection | None = None


def new_id() -> str:
    return secrets.token_urlsafe(9).replace("-", "a").replace("_", "b")


def new_ulid() -> str:
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def now_s() -> int:
    return int(time.time())


def condition_failed(error: Exception) -> bool:
    cause = getattr(error, "cause_response_code", None)
    if cause == "ConditionalCheckFailedException":
        return True
    if cause == "TransactionCanceledException":
        reasons = getattr(error, "cancellation_reasons", None) or []
        return any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons)
    return False


def transaction() -> TransactWrite:
    global _connection
    if _connection is None:
        _connection = Connection(
            region=settings.AWS_REGION,
            host=settings.DYNAMODB_ENDPOINT_URL or None,
            aws_access_key_id=settings.AWS_ACCESS_KEY_ID or None,
            aws_secret_access_key=settings.AWS_SECRET_ACCESS_KEY or None,
        )
    return TransactWrite(connection=_connection)


# --- Seeding: items shaped like a ready public video and a channel at that commit -----

DESCRIPTION = (
    "A walk along the harbour at first light: the fishing boats coming in, the market "
    "setting up, gulls over the breakwater and the old lighthouse keeper's cottage. "
    "Shot handheld in one take, no music, just the sound of the place. Chapters: "
    "00:00 the quay, 03:10 the market, 07:45 the lighthouse. Thanks for watching!"
)


def seed_channel(*, owner_user_id: str, name: str = "Harbour Walks") -> LegacyChannel:
    channel = LegacyChannel(
        new_id(),
        owner_user_id=owner_user_id,
        handle=f"harbour{secrets.token_hex(4)}",
        name=name,
        description="Slow walks through harbour towns, one take each.",
        subscriber_count=0,
        video_count=0,
        created_at=now_s(),
        owner_banned=False,
    )
    channel.save(condition=LegacyChannel.channel_id.does_not_exist())
    return channel


def seed_ready_video(*, channel: LegacyChannel, title: str) -> LegacyVideo:
    """A video as it looks once transcoded and published: ready, public, listed in the
    feed and on its channel page, its fan-out done."""
    created = now_s() - 600
    video_id = new_id()
    video = LegacyVideo(
        video_id,
        channel_id=channel.channel_id,
        owner_user_id=channel.owner_user_id,
        title=title,
        description=DESCRIPTION,
        visibility="public",
        status="ready",
        created_at=created,
        published_at=created + 240,
        source_key=f"raw/{video_id}/source",
        source_bytes=184_467_712,
        duration_s=612.48,
        width=1920,
        height=1080,
        renditions=["360p", "720p", "1080p"],
        poster_key=f"hls/{video_id}/poster.0000000.jpg",
        playlist_key=f"hls/{video_id}/master.m3u8",
        job_id=f"local-{new_id()}",
        attempts=1,
        progress=100,
        last_event_at=created + 240,
        owner_banned=False,
        in_review=False,
        view_count=0,
        like_count=0,
        comment_count=0,
        public_channel_id=channel.channel_id,
        feed_partition=FEED_PARTITION,
    )
    video.save(condition=LegacyVideo.video_id.does_not_exist())
    return video


# --- The four writes, as they were (minus permission and rate-limit checks) -----------


def _video(video_id: str) -> LegacyVideo:
    return LegacyVideo.get(video_id)  # today's _viewable_video: one GetItem


def view_record(*, video_id: str, viewer_key: str) -> bool:
    """Count a view once per viewer per video per 30 minutes. True when counted."""
    video = _video(video_id)
    if video.status not in {"ready", "processing"}:
        return False
    now = now_s()
    marker = LegacyCounter(
        f"view#{video.video_id}#{viewer_key}", count=1, expires_at=now + VIEW_WINDOW_S
    )
    try:
        with transaction() as tx:
            tx.save(
                marker,
                condition=LegacyCounter.counter_key.does_not_exist()
                | (LegacyCounter.expires_at < now),
            )
            tx.update(
                video,
                actions=[LegacyVideo.view_count.add(1)],
                condition=LegacyVideo.video_id.exists(),
            )
    except TransactWriteError as error:
        if condition_failed(error):
            return False
        raise
    return True


def _set_counted(item, *, on: bool, present, parent, counter, parent_exists) -> None:
    """In one TransactWrite, save ``item`` (absent until now: ``present`` does not exist)
    and add 1 to the parent's ``counter``, or delete it (present) and add -1; nothing
    when it already is (or is not) there."""
    try:
        with transaction() as tx:
            if on:
                tx.save(item, condition=present.does_not_exist())
            else:
                tx.delete(item, condition=present.exists())
            tx.update(parent, actions=[counter.add(1 if on else -1)], condition=parent_exists)
    except TransactWriteError as error:
        if not condition_failed(error):
            raise


def like_set(*, user_id: str, video_id: str, liked: bool) -> tuple[bool, int]:
    """Like or unlike (idempotent). Returns (liked, like_count)."""
    video = _video(video_id)
    like = LegacyLike(video.video_id, user_id, created_at=now_s())
    _set_counted(
        like,
        on=liked,
        present=LegacyLike.user_id,
        parent=video,
        counter=LegacyVideo.like_count,
        parent_exists=LegacyVideo.video_id.exists(),
    )
    fresh = LegacyVideo.get(video.video_id, consistent_read=True)
    return liked, int(fresh.like_count)


def comment_post(*, user_id: str, author_name: str, video_id: str, text: str) -> LegacyComment:
    """A top-level comment (the owner's notification left out, as in the new path's
    figure)."""
    video = _video(video_id)
    comment = LegacyComment(
        video.video_id,
        new_ulid(),
        user_id=user_id,
        author_name=author_name,
        text=text,
        parent_id=None,
        created_at=now_s(),
        deleted=False,
    )
    with transaction() as tx:
        tx.save(comment, condition=LegacyComment.comment_id.does_not_exist())
        tx.update(
            video,
            actions=[LegacyVideo.comment_count.add(1)],
            condition=LegacyVideo.video_id.exists(),
        )
    return comment


def subscription_set(*, user_id: str, channel_id: str, subscribed: bool) -> tuple[bool, int]:
    """Subscribe or unsubscribe (idempotent; the feed backfill left out).
    Returns (subscribed, subscriber_count)."""
    channel = LegacyChannel.get(channel_id)
    item = LegacySubscription(user_id, channel.channel_id, notify="all", created_at=now_s())
    _set_counted(
        item,
        on=subscribed,
        present=LegacySubscription.channel_id,
        parent=channel,
        counter=LegacyChannel.subscriber_count,
        parent_exists=LegacyChannel.channel_id.exists(),
    )
    fresh = LegacyChannel.get(channel.channel_id)
    return subscribed, int(fresh.subscriber_count)
