"""Reads for the social features, each page a fixed number of DynamoDB requests."""

import re
import time
from dataclasses import dataclass, field

from channels_app.models import Channel
from channels_app.selectors import channel_remember, channel_remembered
from social_app import recent
from social_app.models import (
    AUDIT_SHARDS,
    QUEUE,
    QUEUE_SHARDS,
    AuditEntry,
    Comment,
    FeedEntry,
    Like,
    Notification,
    Report,
    ReportTarget,
    Subscription,
    audit_month,
)
from videoplatform.aws import dynamodb_client
from videoplatform.dynamodb import all_shards, item_or_none
from videoplatform.local_cache import MISSING
from videoplatform.models import Tally
from videoplatform.pagination import Page, decode_cursor, encode_cursor, merged_page, query_page
from videoplatform.tallies import (
    Counts,
    channel_subject,
    counts_from_items,
    counts_remember,
    counts_remembered,
    tally_keys,
    video_subject,
)
from videos_app.models import Video, VideoStatus
from videos_app.permissions import can_view
from videos_app.selectors import PAGE_SIZE, videos_by_id

COMMENTS_PAGE = 20
# The comment orders a watch page offers; "newest" is the default (and the cached one).
COMMENT_SORTS = ("top", "newest")
DEFAULT_COMMENT_SORT = "newest"
# "top" ranks the threads among this many newest comment items (whole threads).
TOP_WINDOW = 500


@dataclass
class WatchState:
    channel: Channel | None
    liked: bool = False
    subscription: Subscription | None = None


def watch_state(*, video: Video, user) -> WatchState:
    """The channel, the counts of the video and its channel, and (signed in) the like
    and subscription state, with the counts attached to the video and the channel.

    What every viewer sees (the channel and the counts) comes from this process's
    memory while fresh; everything else is ONE BatchGetItem: the like and subscription
    state of a signed-in viewer, plus whatever was not remembered. An anonymous view of
    a remembered video reads nothing."""
    video_key, channel_key = video_subject(video.video_id), channel_subject(video.channel_id)
    channel = channel_remembered(video.channel_id)
    counts = {s: c for s in (video_key, channel_key) if (c := counts_remembered(s)) is not None}
    request: dict[str, dict] = {}
    if channel is None:
        request[Channel.Meta.table_name] = {"Keys": [{"channel_id": {"S": video.channel_id}}]}
    missing_counts = [s for s in (video_key, channel_key) if s not in counts]
    if missing_counts:
        keys = [key for subject in missing_counts for key in tally_keys(subject)]
        request[Tally.Meta.table_name] = {"Keys": keys}
    signed_in = getattr(user, "is_authenticated", False)
    if signed_in:
        request[Like.Meta.table_name] = {
            "Keys": [{"video_id": {"S": video.video_id}, "user_id": {"S": user.user_id}}]
        }
        request[Subscription.Meta.table_name] = {
            "Keys": [{"user_id": {"S": user.user_id}, "channel_id": {"S": video.channel_id}}]
        }
    found = _batch_get(request) if request else {}
    if channel is None and (channels := found.get(Channel.Meta.table_name)):
        channel = Channel.from_raw_data(channels[0])
        channel_remember(channel)
    if missing_counts:
        read = counts_from_items(found.get(Tally.Meta.table_name, []))
        read = {subject: read.get(subject, Counts()) for subject in missing_counts}
        counts_remember(read)
        counts.update(read)
    video.counts = counts[video_key]
    if channel is not None:
        channel.counts = counts[channel_key]
    subscriptions = found.get(Subscription.Meta.table_name, [])
    return WatchState(
        channel=channel,
        liked=bool(found.get(Like.Meta.table_name)),
        subscription=Subscription.from_raw_data(subscriptions[0]) if subscriptions else None,
    )


def _batch_get(request: dict) -> dict[str, list[dict]]:
    response = dynamodb_client().batch_get_item(RequestItems=request)
    found = response.get("Responses", {})
    # Unprocessed keys are rare (throttling); read those few individually.
    for table, pending in response.get("UnprocessedKeys", {}).items():
        for key in pending.get("Keys", []):
            item = dynamodb_client().get_item(TableName=table, Key=key).get("Item")
            if item:
                found.setdefault(table, []).append(item)
    return found


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
    # HTML rendered from the page while this process remembers it (social_app.recent).
    fragments: dict = field(default_factory=dict, compare=False, repr=False)
    remembered_as: int | None = None
    # The order of this page, and the order its next_cursor continues in.
    sort: str = DEFAULT_COMMENT_SORT
    next_sort: str = DEFAULT_COMMENT_SORT


def comment_sort(value) -> str:
    """A requested order of comments; anything unknown is the default."""
    return value if value in COMMENT_SORTS else DEFAULT_COMMENT_SORT


def comments_sorted_page(video_id: str, *, sort: str, cursor: str | None = None) -> CommentsPage:
    if comment_sort(sort) == "top":
        return top_comments_page(video_id, cursor=cursor)
    return comments_page(video_id, cursor=cursor)


def comments_page(
    video_id: str, *, cursor: str | None = None, limit: int = COMMENTS_PAGE
) -> CommentsPage:
    """A page of comment threads. The first page, the same for everyone, is kept a few
    seconds per process (``recent``), with what was rendered from it; callers only read it."""
    if cursor is not None or limit != COMMENTS_PAGE:
        return _comments_page(video_id, cursor=cursor, limit=limit)
    page = recent.comments_first_page.get(video_id)
    if page is MISSING:
        page = _comments_page(video_id, cursor=None, limit=limit)
        page.remembered_as = recent.comments_first_page.set(video_id, page)
    return page


def _comments_page(video_id: str, *, cursor: str | None, limit: int) -> CommentsPage:
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


@dataclass
class _Ranked:
    """A video's threads in "top" order, and where the newest-first order goes on."""

    threads: list[Thread]
    after: str | None
    first: CommentsPage | None = None


def _thread_rank(thread: Thread) -> tuple:
    """Comments have no likes, so "top" is the most replies (shown ones), then newest."""
    replies = sum(1 for reply in thread.replies if not (reply.deleted or reply.hidden))
    return (replies, thread.comment.comment_id)


def top_comments_page(video_id: str, *, cursor: str | None = None) -> CommentsPage:
    """A page of threads with the most replies first, then the newest.

    Ranks the threads among the newest TOP_WINDOW comment items (one Query, more only if
    they exceed 1 MB), kept per process like the first page (``recent.comments_top``).
    Past the ranked threads the pages go on newest first with the older threads. Only a
    request that asks for this order reads it; the default order costs nothing more."""
    ranked = recent.comments_top.get(video_id)
    if ranked is MISSING:
        window = _comments_page(video_id, cursor=None, limit=TOP_WINDOW)
        ranked = _Ranked(
            threads=sorted(window.threads, key=_thread_rank, reverse=True),
            after=window.next_cursor,
        )
        ranked.first = _top_slice(video_id, ranked, 0)
        ranked.first.remembered_as = recent.comments_top.set(video_id, ranked)
    state = decode_cursor(cursor, scope=f"comments-top/{video_id}") or {}
    offset = state.get("offset")
    if not isinstance(offset, int) or offset <= 0:
        return ranked.first
    return _top_slice(video_id, ranked, offset)


def _top_slice(video_id: str, ranked: _Ranked, offset: int) -> CommentsPage:
    end = offset + COMMENTS_PAGE
    if end < len(ranked.threads):
        next_cursor = encode_cursor({"offset": end}, scope=f"comments-top/{video_id}")
        next_sort = "top"
    else:
        next_cursor, next_sort = ranked.after, DEFAULT_COMMENT_SORT
    return CommentsPage(
        threads=ranked.threads[offset:end],
        next_cursor=next_cursor,
        sort="top",
        next_sort=next_sort,
    )


def subscription_feed(*, user, cursor: str | None = None, limit: int = PAGE_SIZE) -> Page:
    """Newest public videos of followed channels: one Query + one BatchGetItem."""
    page = query_page(FeedEntry, user.user_id, limit=limit, cursor=cursor)
    videos = videos_by_id([entry.video_id for entry in page.items])
    items = [videos.get(entry.video_id) for entry in page.items]
    return Page(items=[v for v in items if v and v.listed], next_cursor=page.next_cursor)


def liked_videos(*, user, cursor: str | None = None, limit: int = PAGE_SIZE) -> Page:
    """A user's liked videos, newest like first: one Query + one BatchGetItem."""
    page = query_page(Like.user_index, user.user_id, limit=limit, cursor=cursor)
    videos = videos_by_id([like.video_id for like in page.items])
    items = [videos.get(like.video_id) for like in page.items]
    return Page(
        # Only what the person may still watch: a video made private, removed or whose
        # owner is banned leaves the list (its title and poster with it).
        items=[v for v in items if v and v.status == VideoStatus.READY and can_view(user, v)],
        next_cursor=page.next_cursor,
    )


def notifications_page(*, user, cursor: str | None = None, limit: int = 30) -> Page:
    now = time.time()
    page = query_page(Notification, user.user_id, limit=limit, cursor=cursor)
    page.items = [n for n in page.items if n.expires_at > now]
    return page


UNREAD_CAP = 99


def unread_count(*, user) -> int:
    """Unread notifications, counted up to 99 ("99+") in one Query of the sparse unread
    index (at most UNREAD_CAP + 1 keys), however many notifications the user has; from
    this process's memory for a few seconds after (``recent.unread_counts``)."""
    count = recent.unread_counts.get(user.user_id)
    if count is MISSING:
        count = _unread_count(user.user_id)
        recent.unread_counts.set(user.user_id, count)
    return count


def _unread_count(user_id: str) -> int:
    response = dynamodb_client().query(
        TableName=Notification.Meta.table_name,
        IndexName=Notification.unread_index.Meta.index_name,
        KeyConditionExpression="unread_user_id = :user",
        # Limit bounds the keys read (one page); the filter drops expired ones among them.
        FilterExpression="expires_at > :now",
        ExpressionAttributeValues={
            ":user": {"S": user_id},
            ":now": {"N": str(int(time.time()))},
        },
        Select="COUNT",
        Limit=UNREAD_CAP + 1,
    )
    return int(response["Count"])


# --- Moderation ----------------------------------------------------------------------


def report_queue(*, cursor: str | None = None, limit: int = 20) -> Page:
    """Targets with open reports: in review first, then most reported (the queue's
    partitions merged, one Query each)."""
    return merged_page(
        ReportTarget.queue_index,
        all_shards(QUEUE, QUEUE_SHARDS),
        sort_attribute="priority",
        limit=limit,
        cursor=cursor,
    )


def report_target(target_key: str):
    return item_or_none(ReportTarget, target_key, consistent=True)


def reports_for(target_key: str, *, limit: int = 100) -> list:
    return list(Report.query(target_key, limit=limit))


def reports_against(user_id: str, *, limit: int = 20) -> list:
    return list(ReportTarget.owner_index.query(user_id, scan_index_forward=False, limit=limit))


# A page of the whole audit log looks this many months back for entries at most, so an
# empty stretch costs a bounded number of Queries (AUDIT_SHARDS each month).
AUDIT_MONTHS_PER_PAGE = 3


def _months_back(month: str, count: int) -> list[str]:
    year, number = (int(part) for part in month.split("-"))
    months = []
    for _ in range(count):
        months.append(f"{year:04d}-{number:02d}")
        year, number = (year - 1, 12) if number == 1 else (year, number - 1)
    return months


def _audit_log_by_month(*, cursor: str | None, limit: int) -> Page:
    """Newest first: a month's shards merged, then the months before, at most
    AUDIT_MONTHS_PER_PAGE months per page. The cursor holds the month and the merge's
    own cursor within it."""
    state = decode_cursor(cursor, scope="audit-months") or {}
    month = state.get("month")
    if not (isinstance(month, str) and re.fullmatch(r"\d{4}-\d{2}", month)):
        month, state = audit_month(int(time.time())), {}
    inner = state.get("inner")
    items: list = []
    months = _months_back(month, AUDIT_MONTHS_PER_PAGE + 1)
    for current, previous in zip(months, months[1:], strict=False):
        page = merged_page(
            AuditEntry,
            all_shards(current, AUDIT_SHARDS),
            sort_attribute="entry_id",
            limit=limit - len(items),
            cursor=inner if current == month else None,
        )
        items += page.items
        if page.next_cursor:
            next_state = {"month": current, "inner": page.next_cursor}
            return Page(items=items, next_cursor=encode_cursor(next_state, scope="audit-months"))
        month, inner = previous, None
        if len(items) >= limit:
            break
    if month < "2020-01":  # nothing is older than the platform
        return Page(items=items)
    return Page(items=items, next_cursor=encode_cursor({"month": month}, scope="audit-months"))


def audit_log(
    *,
    moderator_id: str | None = None,
    target_key: str | None = None,
    subject_user_id: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page:
    """Newest first; filtered by moderator, target or subject through their indexes."""
    if moderator_id:
        return query_page(AuditEntry.moderator_index, moderator_id, limit=limit, cursor=cursor)
    if target_key:
        return query_page(AuditEntry.target_index, target_key, limit=limit, cursor=cursor)
    if subject_user_id:
        return query_page(AuditEntry.subject_index, subject_user_id, limit=limit, cursor=cursor)
    return _audit_log_by_month(cursor=cursor, limit=limit)
