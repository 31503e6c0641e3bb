"""Reads for the social features, each page a fixed number of DynamoDB requests."""

import time
from dataclasses import dataclass, field

from channels_app.models import Channel
from social_app.models import Comment, FeedEntry, Like, Notification, Subscription
from videoplatform.aws import dynamodb_client
from videoplatform.dynamodb import item_or_none
from videoplatform.pagination import Page, decode_cursor, encode_cursor, query_page
from videos_app.models import Video, VideoStatus, Visibility

COMMENTS_PAGE = 20


@dataclass
class WatchState:
    channel: Channel | None
    liked: bool = False
    subscription: Subscription | None = None


def watch_state(*, video: Video, user) -> WatchState:
    """Channel, like state and subscription state in ONE BatchGetItem."""
    request = {Channel.Meta.table_name: {"Keys": [{"channel_id": {"S": video.channel_id}}]}}
    signed_in = getattr(user, "is_authenticated", False)
    if signed_in:
        request[Like.Meta.table_name] = {
            "Keys": [{"video_id": {"S": video.video_id}, "user_id": {"S": user.user_id}}]
        }
        request[Subscription.Meta.table_name] = {
            "Keys": [{"user_id": {"S": user.user_id}, "channel_id": {"S": video.channel_id}}]
        }
    response = dynamodb_client().batch_get_item(RequestItems=request)
    found = response.get("Responses", {})
    # Unprocessed keys are rare (throttling); read those few individually.
    for table, pending in response.get("UnprocessedKeys", {}).items():
        for key in pending.get("Keys", []):
            item = dynamodb_client().get_item(TableName=table, Key=key).get("Item")
            if item:
                found.setdefault(table, []).append(item)
    channels = found.get(Channel.Meta.table_name, [])
    subscriptions = found.get(Subscription.Meta.table_name, [])
    return WatchState(
        channel=Channel.from_raw_data(channels[0]) if channels else None,
        liked=bool(found.get(Like.Meta.table_name)),
        subscription=Subscription.from_raw_data(subscriptions[0]) if subscriptions else None,
    )


def subscription_get(*, user, channel_id: str) -> Subscription | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return item_or_none(Subscription, user.user_id, channel_id)


def comment_get(video_id: str, comment_id: str) -> Comment | None:
    return item_or_none(Comment, video_id, comment_id, consistent=True)


@dataclass
class Thread:
    comment: Comment
    replies: list[Comment] = field(default_factory=list)


@dataclass
class CommentsPage:
    threads: list[Thread]
    next_cursor: str | None


def comments_page(
    video_id: str, *, cursor: str | None = None, limit: int = COMMENTS_PAGE
) -> CommentsPage:
    """One Query: whole threads, newest thread first, replies oldest first under each.

    Thread items are contiguous (a reply's id starts with its parent's), and in
    descending key order a thread's replies come just before its parent. A page that
    ends in the middle of a thread stops before that thread, so it is shown whole next time.
    """
    scope = f"comments/{video_id}"
    results = Comment.query(
        video_id,
        scan_index_forward=False,
        limit=limit,
        page_size=limit,
        last_evaluated_key=decode_cursor(cursor, scope=scope),
    )
    items = list(results)
    last_key = results.last_evaluated_key
    if last_key is not None and items and all(item.parent_id for item in items):
        # One thread longer than a page: without its parent on the page it would be
        # skipped. Read the rest of it (one more Query; its key range holds only that
        # thread, parent last) so it is shown whole, and continue after the parent.
        parent_id = items[-1].parent_id
        rest = Comment.query(
            video_id,
            Comment.comment_id >= parent_id,
            scan_index_forward=False,
            last_evaluated_key=last_key,
        )
        items += list(rest)
        last_key = {"video_id": {"S": video_id}, "comment_id": {"S": parent_id}}
    more = last_key is not None
    threads: list[Thread] = []
    pending_replies: list[Comment] = []
    last_complete: Comment | None = None
    for item in items:
        if item.parent_id:
            pending_replies.append(item)
            continue
        threads.append(Thread(comment=item, replies=list(reversed(pending_replies))))
        pending_replies = []
        last_complete = item
    next_key = None
    if more:
        if pending_replies and last_complete is not None:
            # Start the next page right after the last whole thread.
            next_key = {"video_id": {"S": video_id}, "comment_id": {"S": last_complete.comment_id}}
        else:
            next_key = last_key
    elif pending_replies:
        # Replies whose parent lies beyond the data (should not happen): show them.
        threads.extend(Thread(comment=r) for r in reversed(pending_replies))
    return CommentsPage(threads=threads, next_cursor=encode_cursor(next_key, scope=scope))


def _batch_videos(video_ids: list[str]) -> dict[str, Video]:
    if not video_ids:
        return {}
    return {video.video_id: video for video in Video.batch_get(list(dict.fromkeys(video_ids)))}


def _listable(video: Video | None) -> bool:
    return (
        bool(video) and video.status == VideoStatus.READY and video.visibility == Visibility.PUBLIC
    )


def subscription_feed(*, user, cursor: str | None = None, limit: int = 24) -> Page:
    """Newest public videos of followed channels: one Query + one BatchGetItem."""
    page = query_page(FeedEntry, user.user_id, limit=limit, cursor=cursor)
    videos = _batch_videos([entry.video_id for entry in page.items])
    items = [videos.get(entry.video_id) for entry in page.items]
    return Page(items=[v for v in items if _listable(v)], next_cursor=page.next_cursor)


def liked_videos(*, user, cursor: str | None = None, limit: int = 24) -> Page:
    """A user's liked videos, newest like first: one Query + one BatchGetItem."""
    page = query_page(Like.user_index, user.user_id, limit=limit, cursor=cursor)
    videos = _batch_videos([like.video_id for like in page.items])
    items = [videos.get(like.video_id) for like in page.items]
    return Page(
        items=[v for v in items if v and v.status == VideoStatus.READY],
        next_cursor=page.next_cursor,
    )


def notifications_page(*, user, cursor: str | None = None, limit: int = 30) -> Page:
    now = time.time()
    page = query_page(Notification, user.user_id, limit=limit, cursor=cursor)
    page.items = [n for n in page.items if n.expires_at > now]
    return page


UNREAD_CAP = 99


def unread_count(*, user) -> int:
    """Unread notifications, counted up to 99 ("99+") in one Query."""
    now = int(time.time())
    return Notification.count(
        user.user_id,
        filter_condition=(Notification.read == False) & (Notification.expires_at > now),  # noqa: E712
        limit=UNREAD_CAP + 1,
    )


# --- Moderation ----------------------------------------------------------------------


def report_queue(*, cursor: str | None = None, limit: int = 20) -> Page:
    """Targets with open reports: in review first, then most reported."""
    from social_app.models import ReportTarget

    return query_page(ReportTarget.queue_index, "open", limit=limit, cursor=cursor)


def report_target(target_key: str):
    from social_app.models import ReportTarget

    return item_or_none(ReportTarget, target_key, consistent=True)


def reports_for(target_key: str, *, limit: int = 100) -> list:
    from social_app.models import Report

    return list(Report.query(target_key, limit=limit))


def reports_against(user_id: str, *, limit: int = 20) -> list:
    from social_app.models import ReportTarget

    return list(ReportTarget.owner_index.query(user_id, scan_index_forward=False, limit=limit))


def audit_log(
    *,
    moderator_id: str | None = None,
    target_key: str | None = None,
    subject_user_id: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page:
    """Newest first; filtered by moderator, target or subject through their indexes."""
    from social_app.models import AuditEntry

    if moderator_id:
        return query_page(AuditEntry.moderator_index, moderator_id, limit=limit, cursor=cursor)
    if target_key:
        return query_page(AuditEntry.target_index, target_key, limit=limit, cursor=cursor)
    if subject_user_id:
        return query_page(AuditEntry.subject_index, subject_user_id, limit=limit, cursor=cursor)
    return query_page(AuditEntry, "audit", limit=limit, cursor=cursor)
