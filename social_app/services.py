"""Writes for likes, comments, subscriptions and views.

The item (a Like, a Comment, a Subscription, a view marker) is written alone with a
condition that makes a repeat a no-op; only when that write changed something does
the count move, by an ``ADD`` on a tally shard (``videoplatform.tallies``). Counts
stay equal to the items under double clicks, replays and concurrency, no transaction
holds a hot video, and ``reconcile_counts`` re-derives a count should a process die
between the two writes. A write refused because its item is hot is retried with
jittered backoff, then answered "busy, try again" (503), never a server error.
"""

import logging
import time

from django.conf import settings
from django.utils.translation import gettext as _
from pynamodb.exceptions import PynamoDBException

from channels_app.selectors import channel_counts, channel_get
from social_app.models import Comment, Like, Subscription, subscriber_shard
from social_app.notifications import (
    feed_backfill,
    feed_forget_channel,
    notification_create,
    require_active,
)
from social_app.selectors import comment_get
from videoplatform.dynamodb import condition_failed, new_ulid, now_s, transaction, write_once
from videoplatform.errors import ApplicationError, Busy, NotFound, PermissionDenied
from videoplatform.idempotency import claim_in, claimed_result, valid_token
from videoplatform.models import Counter
from videoplatform.ratelimit import enforce
from videoplatform.tallies import channel_subject, tally_add, video_subject
from videoplatform.text import clean_text
from videos_app.models import Video, VideoStatus
from videos_app.permissions import can_view
from videos_app.selectors import video_counts, video_get

logger = logging.getLogger(__name__)

COMMENT_MAX = 2000
VIEW_WINDOW_S = 30 * 60


def _viewable_video(user, video_id: str) -> Video:
    video = video_get(video_id)
    if video is None or not can_view(user, video) or video.status == VideoStatus.REMOVED:
        raise NotFound(_("This video does not exist or is private."))
    return video


# --- Likes ---------------------------------------------------------------------------


def like_set(*, user, video_id: str, liked: bool) -> tuple[bool, int]:
    """Like or unlike (idempotent: asking for the current state changes nothing).

    Returns (liked, like_count).
    """
    require_active(user, "like videos")
    video = _viewable_video(user, video_id)
    enforce(
        f"like#{user.user_id}",
        limit=settings.LIKES_PER_MINUTE,
        window_s=60,
        message=_("You are liking too fast. Wait a minute and try again."),
    )
    if video.status != VideoStatus.READY:
        raise ApplicationError(_("You can like a video once it is ready."))
    like = Like(video.video_id, user.user_id, created_at=now_s())
    if liked:
        changed = write_once(lambda: like.save(condition=Like.user_id.does_not_exist()))
    else:
        changed = write_once(lambda: like.delete(condition=Like.user_id.exists()))
    if changed:
        tally_add(video_subject(video.video_id), likes=1 if liked else -1)
    return liked, video_counts(video.video_id, consistent=True).likes


# --- Comments ------------------------------------------------------------------------


def _save_claimed(comment: Comment, *, scope: str, token: str) -> None:
    try:
        with transaction() as tx:
            claim_in(tx, scope=scope, token=token, result_id=comment.comment_id)
            tx.save(comment, condition=Comment.comment_id.does_not_exist())
    finally:
        comment.forget_recent()  # a transaction write is not the model's own save


def _comment_from_claim(video_id: str, scope: str, token: str) -> Comment | None:
    comment_id = claimed_result(scope, token)
    return comment_get(video_id, comment_id) if comment_id else None


def comment_post(
    *,
    user,
    video_id: str,
    text: str,
    parent_id: str | None = None,
    client_token: str | None = None,
) -> Comment:
    """Post a comment, or a reply to a top-level comment (one level of replies).

    ``client_token`` (one per rendered form) makes the post idempotent: the same form
    sent twice, even at the same moment, makes one comment and both answers show it. The
    claim is per reply target, so the reply forms of one page may share a token."""
    require_active(user, "comment")
    token = valid_token(client_token)
    scope = f"comment#{user.user_id}#{video_id}#{(parent_id or '')[:80]}"
    if token and (earlier := _comment_from_claim(video_id, scope, token)) is not None:
        return earlier
    video = _viewable_video(user, video_id)
    if video.status != VideoStatus.READY:
        raise ApplicationError(_("Comments open once the video is ready."))
    text = clean_text(text, field="text", label=_("Comment"), max_length=COMMENT_MAX, required=True)
    parent = None
    if parent_id:
        parent = comment_get(video.video_id, parent_id)
        if parent is None:
            raise ApplicationError(_("The comment you are replying to no longer exists."))
        if parent.deleted:
            raise ApplicationError(_("The comment you are replying to was deleted."))
        if parent.parent_id:
            raise ApplicationError(_("Replies go under the top-level comment."))
    enforce(
        f"comment#{user.user_id}",
        limit=settings.COMMENTS_PER_MINUTE,
        window_s=60,
        message=_("You are commenting too fast. Wait a minute and try again."),
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
    if token:
        if not write_once(lambda: _save_claimed(comment, scope=scope, token=token)):
            earlier = _comment_from_claim(video_id, scope, token)
            if earlier is None:
                raise Busy(_("Your comment is being posted. Reload the page in a moment."))
            return earlier
        tally_add(video_subject(video.video_id), comments=1)
    elif write_once(lambda: comment.save(condition=Comment.comment_id.does_not_exist())):
        tally_add(video_subject(video.video_id), comments=1)
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
        raise NotFound(_("That comment does not exist."))
    if comment.deleted:
        raise NotFound(_("That comment was deleted."))
    return comment


def comment_edit(*, user, video_id: str, comment_id: str, text: str) -> Comment:
    require_active(user, "edit comments")
    comment = _live_comment(video_id, comment_id)
    if comment.user_id != user.user_id:
        raise PermissionDenied(_("You can only edit your own comments."))
    text = clean_text(text, field="text", label=_("Comment"), max_length=COMMENT_MAX, required=True)
    try:
        comment.update(
            actions=[Comment.text.set(text), Comment.edited_at.set(now_s())],
            condition=(Comment.deleted == False) & (Comment.user_id == user.user_id),  # noqa: E712
        )
    except Exception as error:
        if condition_failed(error):
            raise ApplicationError(_("That comment changed meanwhile.")) from None
        raise
    return comment


def comment_delete(*, user, video_id: str, comment_id: str) -> None:
    """The author, the video's owner and staff may delete a comment."""
    require_active(user, "delete comments")
    comment = _live_comment(video_id, comment_id)
    video = video_get(video_id)
    allowed = (
        comment.user_id == user.user_id
        or user.is_staff
        or (video is not None and video.owner_user_id == user.user_id)
    )
    if not allowed:
        raise PermissionDenied(_("You cannot delete this comment."))
    # Kept as a tombstone so its replies stay in place; the text goes.
    deleted = write_once(
        lambda: comment.update(
            actions=[Comment.deleted.set(True), Comment.text.set("")],
            condition=Comment.deleted == False,  # noqa: E712
        )
    )
    if deleted:
        tally_add(video_subject(video_id), comments=-1)


def comment_take_down(*, video_id: str, comment_id: str, reason: str) -> Comment:
    """A moderator removes a comment (the caller checked the role): a tombstone with
    the reason, its replies kept in place."""
    comment = comment_get(video_id, comment_id)
    if comment is None:
        raise NotFound(_("No such comment."))
    if comment.deleted:
        raise ApplicationError(_("This comment is already removed."))
    removed = write_once(
        lambda: comment.update(
            actions=[
                Comment.deleted.set(True),
                Comment.text.set(""),
                Comment.removed_reason.set(reason),
            ],
            condition=Comment.deleted == False,  # noqa: E712 - a DynamoDB condition
        )
    )
    if not removed:
        raise ApplicationError(_("This comment is already removed."))
    tally_add(video_subject(video_id), comments=-1)
    return comment


def comments_set_hidden(*, user_id: str, hidden: bool) -> int:
    """Hide (or show again) every comment of a banned (or unbanned) user."""
    changed = 0
    for stub in Comment.user_index.query(user_id):
        try:
            Comment(stub.video_id, stub.comment_id).update(
                actions=[Comment.hidden.set(hidden)], condition=Comment.comment_id.exists()
            )
        except PynamoDBException as error:
            if not condition_failed(error):
                raise
            continue
        changed += 1
    return changed


# --- Subscriptions -------------------------------------------------------------------


def subscription_set(*, user, channel_id: str, subscribed: bool) -> tuple[bool, int]:
    """Subscribe or unsubscribe (idempotent). Returns (subscribed, subscriber_count)."""
    require_active(user, "subscribe")
    channel = channel_get(channel_id or "")
    if channel is None:
        raise NotFound(_("That channel does not exist."))
    if channel.owner_user_id == user.user_id:
        raise ApplicationError(_("You cannot subscribe to your own channel."))
    item = Subscription(
        user.user_id,
        channel.channel_id,
        channel_shard=subscriber_shard(channel.channel_id, user.user_id),
        notify="all",
        created_at=now_s(),
    )
    if subscribed:
        changed = write_once(lambda: item.save(condition=Subscription.channel_id.does_not_exist()))
    else:
        changed = write_once(lambda: item.delete(condition=Subscription.channel_id.exists()))
    if changed:
        tally_add(channel_subject(channel.channel_id), subscribers=1 if subscribed else -1)
    if changed and subscribed:
        feed_backfill(user_id=user.user_id, channel_id=channel.channel_id)
    elif changed:
        feed_forget_channel(user_id=user.user_id, channel_id=channel.channel_id)
    return subscribed, channel_counts(channel.channel_id, consistent=True).subscribers


def subscription_set_notify(*, user, channel_id: str, notify: str) -> Subscription:
    require_active(user, "change notifications")
    if notify not in {"all", "none"}:
        raise ApplicationError(_("Choose all or none."))
    item = Subscription(user.user_id, channel_id)
    try:
        item.update(
            actions=[Subscription.notify.set(notify)], condition=Subscription.channel_id.exists()
        )
    except Exception as error:
        if condition_failed(error):
            raise ApplicationError(_("Subscribe to the channel first.")) from None
        raise
    return item


# --- View counts ---------------------------------------------------------------------


def view_record(*, video_id: str, viewer_key: str | None, user=None) -> bool:
    """Count a view once per viewer per video per 30 minutes. True when counted.
    ``viewer_key`` None: nobody the site can tell apart (no page token), not counted."""
    video = _viewable_video(user, video_id)
    if viewer_key is None:
        raise ApplicationError(_("Reload the page to count this view."))
    if video.status not in {VideoStatus.READY, VideoStatus.PROCESSING}:
        return False
    now = int(time.time())
    marker = Counter(f"view#{video.video_id}#{viewer_key}", count=1, expires_at=now + VIEW_WINDOW_S)
    # Exists-but-expired counts as absent: TTL deletion is lazy.
    fresh = write_once(
        lambda: marker.save(
            condition=Counter.counter_key.does_not_exist() | (Counter.expires_at < now)
        )
    )
    if fresh:
        tally_add(video_subject(video.video_id), views=1)
    return fresh
