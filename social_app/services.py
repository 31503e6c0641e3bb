"""Writes for likes, comments, subscriptions, notifications, feeds and view counts.

A relationship item and the counter it drives change in one TransactWrite whose
conditions make a repeat a no-op, so counters stay equal to the number of items
under double clicks, replays and concurrency.
"""

import logging
import time
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from pynamodb.exceptions import TransactWriteError

from channels_app.models import Channel
from channels_app.selectors import channel_get
from channels_app.services import clean_text
from social_app.models import Comment, FeedEntry, Like, Notification, Subscription
from social_app.selectors import comment_get
from videoplatform.dynamodb import condition_failed, key_usable, new_ulid, now_s, transaction
from videoplatform.errors import ApplicationError, NotFound, PermissionDenied
from videoplatform.ratelimit import enforce
from videos_app.models import Video, VideoStatus, Visibility
from videos_app.selectors import can_view, video_get

logger = logging.getLogger(__name__)

COMMENT_MAX = 2000
NOTIFICATION_TTL_S = 90 * 24 * 3600
FEED_TTL_S = 90 * 24 * 3600
FANOUT_PARTITION = "fanout"
VIEW_WINDOW_S = 30 * 60


def _require_active(user, action: str) -> None:
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied(f"Log in to {action}.")
    if user.is_banned:
        raise PermissionDenied("This account is suspended.")


def _viewable_video(user, video_id: str) -> Video:
    video = video_get(video_id)
    if video is None or not can_view(user, video) or video.status == VideoStatus.REMOVED:
        raise NotFound("This video does not exist or is private.")
    return video


# --- Likes ---------------------------------------------------------------------------


def like_set(*, user, video_id: str, liked: bool) -> tuple[bool, int]:
    """Like or unlike (idempotent: asking for the current state changes nothing).

    Returns (liked, like_count).
    """
    _require_active(user, "like videos")
    video = _viewable_video(user, video_id)
    enforce(
        f"like#{user.user_id}",
        limit=settings.LIKES_PER_MINUTE,
        window_s=60,
        message="You are liking too fast. Wait a minute and try again.",
    )
    if video.status != VideoStatus.READY:
        raise ApplicationError("You can like a video once it is ready.")
    like = Like(video.video_id, user.user_id, created_at=now_s())
    try:
        with transaction() as tx:
            if liked:
                tx.save(like, condition=Like.user_id.does_not_exist())
                tx.update(
                    video, actions=[Video.like_count.add(1)], condition=Video.video_id.exists()
                )
            else:
                tx.delete(like, condition=Like.user_id.exists())
                tx.update(
                    video, actions=[Video.like_count.add(-1)], condition=Video.video_id.exists()
                )
    except TransactWriteError as error:
        if not condition_failed(error):
            raise
    fresh = video_get(video.video_id, consistent=True)
    return liked, int(fresh.like_count if fresh else 0)


# --- Comments ------------------------------------------------------------------------


def comment_post(*, user, video_id: str, text: str, parent_id: str | None = None) -> Comment:
    """Post a comment, or a reply to a top-level comment (one level of replies)."""
    _require_active(user, "comment")
    video = _viewable_video(user, video_id)
    if video.status != VideoStatus.READY:
        raise ApplicationError("Comments open once the video is ready.")
    text = clean_text(text, field="text", label="Comment", max_length=COMMENT_MAX, required=True)
    parent = None
    if parent_id:
        parent = comment_get(video.video_id, parent_id)
        if parent is None:
            raise ApplicationError("The comment you are replying to no longer exists.")
        if parent.deleted:
            raise ApplicationError("The comment you are replying to was deleted.")
        if parent.parent_id:
            raise ApplicationError("Replies go under the top-level comment.")
    enforce(
        f"comment#{user.user_id}",
        limit=settings.COMMENTS_PER_MINUTE,
        window_s=60,
        message="You are commenting too fast. Wait a minute and try again.",
    )
    ulid = new_ulid()
    comment = Comment(
        video.video_id,
        f"{parent.comment_id}.{ulid}" if parent else ulid,
        user_id=user.user_id,
        author_name=user.display_name,
        text=text,
        parent_id=parent.comment_id if parent else None,
        created_at=now_s(),
        deleted=False,
    )
    with transaction() as tx:
        tx.save(comment, condition=Comment.comment_id.does_not_exist())
        tx.update(video, actions=[Video.comment_count.add(1)], condition=Video.video_id.exists())
    link = f"/watch/{video.video_id}/#comment-{comment.comment_id}"
    if parent and parent.user_id != user.user_id:
        notification_create(
            user_id=parent.user_id,
            kind="reply",
            text=f"{user.display_name} replied to your comment on “{video.title}”",
            link=link,
        )
    if video.owner_user_id != user.user_id and (
        not parent or parent.user_id != video.owner_user_id
    ):
        notification_create(
            user_id=video.owner_user_id,
            kind="comment",
            text=f"{user.display_name} commented on “{video.title}”",
            link=link,
        )
    return comment


def _live_comment(video_id: str, comment_id: str) -> Comment:
    comment = comment_get(video_id, comment_id)
    if comment is None:
        raise NotFound("That comment does not exist.")
    if comment.deleted:
        raise NotFound("That comment was deleted.")
    return comment


def comment_edit(*, user, video_id: str, comment_id: str, text: str) -> Comment:
    _require_active(user, "edit comments")
    comment = _live_comment(video_id, comment_id)
    if comment.user_id != user.user_id:
        raise PermissionDenied("You can only edit your own comments.")
    text = clean_text(text, field="text", label="Comment", max_length=COMMENT_MAX, required=True)
    try:
        comment.update(
            actions=[Comment.text.set(text), Comment.edited_at.set(now_s())],
            condition=(Comment.deleted == False) & (Comment.user_id == user.user_id),  # noqa: E712
        )
    except Exception as error:
        if condition_failed(error):
            raise ApplicationError("That comment changed meanwhile.") from None
        raise
    return comment


def comment_delete(*, user, video_id: str, comment_id: str) -> None:
    """The author, the video's owner and staff may delete a comment."""
    _require_active(user, "delete comments")
    comment = _live_comment(video_id, comment_id)
    video = video_get(video_id)
    allowed = (
        comment.user_id == user.user_id
        or user.is_staff
        or (video is not None and video.owner_user_id == user.user_id)
    )
    if not allowed:
        raise PermissionDenied("You cannot delete this comment.")
    # Kept as a tombstone so its replies stay in place; the text goes.
    try:
        with transaction() as tx:
            tx.update(
                comment,
                actions=[Comment.deleted.set(True), Comment.text.set("")],
                condition=Comment.deleted == False,  # noqa: E712
            )
            tx.update(
                Video(video_id),
                actions=[Video.comment_count.add(-1)],
                condition=Video.video_id.exists(),
            )
    except TransactWriteError as error:
        if condition_failed(error):
            return
        raise


# --- Subscriptions -------------------------------------------------------------------


def subscription_set(*, user, channel_id: str, subscribed: bool) -> tuple[bool, int]:
    """Subscribe or unsubscribe (idempotent). Returns (subscribed, subscriber_count)."""
    _require_active(user, "subscribe")
    channel = channel_get(channel_id or "")
    if channel is None:
        raise NotFound("That channel does not exist.")
    if channel.owner_user_id == user.user_id:
        raise ApplicationError("You cannot subscribe to your own channel.")
    item = Subscription(user.user_id, channel.channel_id, notify="all", created_at=now_s())
    changed = True
    try:
        with transaction() as tx:
            if subscribed:
                tx.save(item, condition=Subscription.channel_id.does_not_exist())
                tx.update(
                    channel,
                    actions=[Channel.subscriber_count.add(1)],
                    condition=Channel.channel_id.exists(),
                )
            else:
                tx.delete(item, condition=Subscription.channel_id.exists())
                tx.update(
                    channel,
                    actions=[Channel.subscriber_count.add(-1)],
                    condition=Channel.channel_id.exists(),
                )
    except TransactWriteError as error:
        if not condition_failed(error):
            raise
        changed = False
    if changed and subscribed:
        _feed_backfill(user_id=user.user_id, channel_id=channel.channel_id)
    elif changed:
        _feed_forget_channel(user_id=user.user_id, channel_id=channel.channel_id)
    fresh = channel_get(channel.channel_id)
    return subscribed, int(fresh.subscriber_count if fresh else 0)


def subscription_set_notify(*, user, channel_id: str, notify: str) -> Subscription:
    _require_active(user, "change notifications")
    if notify not in {"all", "none"}:
        raise ApplicationError("Choose all or none.")
    item = Subscription(user.user_id, channel_id)
    try:
        item.update(
            actions=[Subscription.notify.set(notify)], condition=Subscription.channel_id.exists()
        )
    except Exception as error:
        if condition_failed(error):
            raise ApplicationError("Subscribe to the channel first.") from None
        raise
    return item


def _feed_entry(user_id: str, video: Video) -> FeedEntry:
    return FeedEntry(
        user_id,
        f"{int(video.published_at or 0):010d}#{video.video_id}",
        video_id=video.video_id,
        channel_id=video.channel_id,
        expires_at=now_s() + FEED_TTL_S,
    )


def _feed_backfill(*, user_id: str, channel_id: str, count: int = 10) -> None:
    """A new subscriber's feed gets the channel's latest videos."""
    recent = Video.channel_public_index.query(
        channel_id, scan_index_forward=False, limit=count, page_size=count
    )
    with FeedEntry.batch_write() as batch:
        for video in recent:
            batch.save(_feed_entry(user_id, video))


def _feed_forget_channel(*, user_id: str, channel_id: str) -> None:
    entries = FeedEntry.query(
        user_id, filter_condition=FeedEntry.channel_id == channel_id, limit=500
    )
    with FeedEntry.batch_write() as batch:
        for entry in entries:
            batch.delete(entry)


# --- Notifications -------------------------------------------------------------------


def _notification(user_id: str, *, kind: str, text: str, link: str) -> Notification:
    return Notification(
        user_id,
        new_ulid(),
        kind=kind,
        text=text[:300],
        link=link if link.startswith("/") and not link.startswith("//") else "",
        read=False,
        created_at=now_s(),
        expires_at=now_s() + NOTIFICATION_TTL_S,
    )


def notification_create(*, user_id: str, kind: str, text: str, link: str = "") -> Notification:
    item = _notification(user_id, kind=kind, text=text, link=link)
    item.save(condition=Notification.notification_id.does_not_exist())
    return item


def notification_mark_read(*, user, notification_id: str) -> Notification:
    """Mark one of *your* notifications read (the key includes your user id)."""
    _require_active(user, "read notifications")
    if not key_usable(notification_id):
        raise NotFound("That notification does not exist.")
    item = Notification(user.user_id, notification_id)
    try:
        item.update(
            actions=[Notification.read.set(True)], condition=Notification.notification_id.exists()
        )
    except Exception as error:
        if condition_failed(error):
            raise NotFound("That notification does not exist.") from None
        raise
    item.refresh()
    return item


def notifications_mark_all_read(*, user) -> int:
    _require_active(user, "read notifications")
    unread = list(
        Notification.query(user.user_id, filter_condition=Notification.read == False, limit=200)  # noqa: E712
    )
    with Notification.batch_write() as batch:
        for item in unread:
            item.read = True
            batch.save(item)
    return len(unread)


def notify_video_published(*, video_id: str) -> None:
    """Called when a video becomes ready: mark it for the fan-out worker (not done here,
    so a channel with many subscribers does not slow the publish)."""
    video = Video(video_id)
    try:
        video.update(
            actions=[Video.fanout_partition.set(FANOUT_PARTITION), Video.fanout_since.set(now_s())],
            condition=Video.status == str(VideoStatus.READY),
        )
    except Exception as error:
        if condition_failed(error):
            return
        raise


def fanout_claim(*, video: Video) -> bool:
    """Take a video's pending fan-out (conditional, so two workers never both do it)."""
    try:
        video.update(
            actions=[Video.fanout_partition.remove(), Video.fanout_since.remove()],
            condition=Video.fanout_partition == FANOUT_PARTITION,
        )
    except Exception as error:
        if condition_failed(error):
            return False
        raise
    return True


FANOUT_THREADS = 4
FANOUT_CHUNK = 500


def _write_chunk(items: list) -> None:
    """One thread's share of a fan-out: BatchWrite (25 items a request) per model."""
    feed = [item for item in items if isinstance(item, FeedEntry)]
    notes = [item for item in items if isinstance(item, Notification)]
    for model, chunk in ((FeedEntry, feed), (Notification, notes)):
        if chunk:
            with model.batch_write() as batch:
                for item in chunk:
                    batch.save(item)


def fanout_video_published(*, video: Video) -> int:
    """Write a feed entry for every subscriber and a notification for those with
    notifications on, 25 items per BatchWrite, a few writers in parallel (each request
    waits on the network, not on us). Returns the number of subscribers."""
    channel = channel_get(video.channel_id)
    if channel is None or video.visibility != Visibility.PUBLIC:
        return 0
    count = 0
    text = f"{channel.name} published “{video.title}”"
    link = f"/watch/{video.video_id}/"
    pending: list = []
    with ThreadPoolExecutor(FANOUT_THREADS) as pool:
        futures = []
        for sub in Subscription.channel_index.query(channel.channel_id, page_size=1000):
            count += 1
            pending.append(_feed_entry(sub.user_id, video))
            if sub.notify == "all":
                pending.append(_notification(sub.user_id, kind="video", text=text, link=link))
            if len(pending) >= FANOUT_CHUNK:
                futures.append(pool.submit(_write_chunk, pending))
                pending = []
        if pending:
            futures.append(pool.submit(_write_chunk, pending))
        for future in futures:
            future.result()  # re-raise a failed chunk: the fan-out is then retried
    return count


def fanout_channel_event(*, channel_id: str, text: str, link: str, kind: str) -> int:
    """Notify every subscriber with notifications on (e.g. "<channel> is live")."""
    count = 0
    with Notification.batch_write() as notes:
        for sub in Subscription.channel_index.query(channel_id, page_size=1000):
            if sub.notify == "all":
                count += 1
                notes.save(_notification(sub.user_id, kind=kind, text=text, link=link))
    return count


def run_pending_fanouts(*, limit: int = 10) -> int:
    """Process videos waiting for their publish fan-out. Returns how many were done."""
    done = 0
    for stub in Video.fanout_index.query(FANOUT_PARTITION, limit=limit, page_size=limit):
        video = video_get(stub.video_id, consistent=True)
        if video is None or not fanout_claim(video=video):
            continue
        try:
            fanout_video_published(video=video)
        except Exception:
            # Put it back in the queue: delivery is at least once (feed entries are
            # idempotent by key; a notification may repeat after a failure).
            notify_video_published(video_id=video.video_id)
            raise
        done += 1
    return done


# --- View counts ---------------------------------------------------------------------


def view_record(*, video_id: str, viewer_key: str, user=None) -> bool:
    """Count a view once per viewer per video per 30 minutes. True when counted."""
    video = _viewable_video(user, video_id)
    if video.status not in {VideoStatus.READY, VideoStatus.PROCESSING}:
        return False
    now = int(time.time())
    from videoplatform.models import Counter

    marker = Counter(f"view#{video.video_id}#{viewer_key}", count=1, expires_at=now + VIEW_WINDOW_S)
    try:
        with transaction() as tx:
            # Exists-but-expired counts as absent: TTL deletion is lazy.
            tx.save(
                marker,
                condition=Counter.counter_key.does_not_exist() | (Counter.expires_at < now),
            )
            tx.update(video, actions=[Video.view_count.add(1)], condition=Video.video_id.exists())
    except TransactWriteError as error:
        if condition_failed(error):
            return False
        raise
    return True
