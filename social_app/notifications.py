"""Notifications and subscription feeds: the only module that writes the Notifications
and FeedEntries tables, one by one (a reply, a moderation notice) or a page of
subscribers at a time (the publish and go-live fan-out, driven by ``social_app.fanout``)."""

import hashlib
import logging
import random
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from botocore.exceptions import ClientError
from django.utils.translation import gettext as _

from social_app import recent
from social_app.models import FeedEntry, Notification
from videoplatform.aws import dynamodb_client
from videoplatform.dynamodb import condition_failed, contended, key_usable, new_ulid, now_s
from videoplatform.errors import NotFound, PermissionDenied
from videos_app.models import Video

logger = logging.getLogger(__name__)

NOTIFICATION_TTL_S = 90 * 24 * 3600
FEED_TTL_S = 90 * 24 * 3600


def _log_in_to(action: str) -> str:
    """The sentence asking to log in for ``action``, whole, so it translates as one."""
    sentences = {
        "like videos": _("Log in to like videos."),
        "comment": _("Log in to comment."),
        "edit comments": _("Log in to edit comments."),
        "delete comments": _("Log in to delete comments."),
        "subscribe": _("Log in to subscribe."),
        "change notifications": _("Log in to change notifications."),
        "read notifications": _("Log in to read notifications."),
    }
    return sentences.get(action) or _("Log in to %(action)s.") % {"action": action}


def require_active(user, action: str) -> None:
    """The social writes need a signed-in user in good standing."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_log_in_to(action))
    if user.is_banned:
        raise PermissionDenied(_("This account is suspended."))


def _feed_entry(user_id: str, video: Video) -> FeedEntry:
    return FeedEntry(
        user_id,
        f"{int(video.published_at or 0):010d}#{video.video_id}",
        video_id=video.video_id,
        channel_id=video.channel_id,
        expires_at=now_s() + FEED_TTL_S,
    )


def feed_backfill(*, user_id: str, channel_id: str, count: int = 10) -> None:
    """A new subscriber's feed gets the channel's latest videos."""
    recent = Video.channel_public_index.query(
        channel_id, scan_index_forward=False, limit=count, page_size=count
    )
    with FeedEntry.batch_write() as batch:
        for video in recent:
            batch.save(_feed_entry(user_id, video))


def feed_forget_channel(*, user_id: str, channel_id: str) -> None:
    entries = FeedEntry.query(
        user_id, filter_condition=FeedEntry.channel_id == channel_id, limit=500
    )
    with FeedEntry.batch_write() as batch:
        for entry in entries:
            batch.delete(entry)


# --- Notifications -------------------------------------------------------------------


def _local_link(link: str) -> str:
    # Only a path on this site: a notification never sends anyone elsewhere.
    return link if link.startswith("/") and not link.startswith("//") else ""


def _notification(user_id: str, *, kind: str, text: str, link: str) -> Notification:
    return Notification(
        user_id,
        new_ulid(),
        kind=kind,
        text=text[:300],
        link=_local_link(link),
        read=False,
        unread_user_id=user_id,
        created_at=now_s(),
        expires_at=now_s() + NOTIFICATION_TTL_S,
    )


# "Mark all read" handles this many at a time (the newest first is not guaranteed: the
# index is keyed by id, so the oldest go first; a second click takes the rest).
MARK_ALL_READ_MAX = 200


def notification_create(*, user_id: str, kind: str, text: str, link: str = "") -> Notification:
    item = _notification(user_id, kind=kind, text=text, link=link)
    try:
        item.save(condition=Notification.notification_id.does_not_exist())
    finally:
        recent.forget_unread(user_id)
    return item


def notification_mark_read(*, user, notification_id: str) -> Notification:
    """Mark one of *your* notifications read (the key includes your user id)."""
    require_active(user, "read notifications")
    if not key_usable(notification_id):
        raise NotFound(_("That notification does not exist."))
    item = Notification(user.user_id, notification_id)
    try:
        item.update(
            actions=[Notification.read.set(True), Notification.unread_user_id.remove()],
            condition=Notification.notification_id.exists(),
        )
    except Exception as error:
        if condition_failed(error):
            raise NotFound(_("That notification does not exist.")) from None
        raise
    finally:
        recent.forget_unread(user.user_id)
    item.refresh()
    return item


def notifications_mark_all_read(*, user) -> int:
    require_active(user, "read notifications")
    # The sparse unread index holds only unread ones: this reads nothing already read.
    keys = list(Notification.unread_index.query(user.user_id, limit=MARK_ALL_READ_MAX))
    unread = Notification.batch_get([(user.user_id, key.notification_id) for key in keys])
    try:
        with Notification.batch_write() as batch:
            for item in unread:
                item.read = True
                item.unread_user_id = None
                batch.save(item)
    finally:
        recent.forget_unread(user.user_id)
    return len(keys)


# --- Fan-out delivery ----------------------------------------------------------------

# BatchWriteItem takes at most 25 puts, across tables.
BATCH_ITEMS = 25
# Requests of one page in flight at once: each waits on the network, and a page (at most
# two items a subscriber) is all that is ever held, however many subscribers there are.
FANOUT_WRITERS = 4
# UnprocessedItems (throttling, a partition under pressure) are sent again after a
# jittered, growing wait; after BATCH_ATTEMPTS requests the page fails, the task keeps
# its checkpoint and another worker resumes it when the lease runs out.
BATCH_ATTEMPTS = 8
BATCH_BACKOFF_BASE_S = 0.05
BATCH_BACKOFF_CAP_S = 2.0


class FanoutDeliveryError(RuntimeError):
    """A page could not be written within BATCH_ATTEMPTS requests."""


@dataclass(frozen=True)
class FanoutDelivery:
    """What one fan-out job writes for each subscriber.

    ``kind`` "video": a feed entry for every subscriber and a notification for those with
    notify == "all"; "live": only the notifications. ``feed_published_at`` is the video's
    publish time (seconds), the feed entry's key, as ``feed_backfill`` writes it.
    """

    job_id: str
    kind: str
    channel_id: str
    subject_id: str
    text: str
    link: str
    published_ms: int
    feed_published_at: int | None = None


@dataclass(frozen=True)
class Subscriber:
    user_id: str
    notify: str  # "all" | "none"


def fanout_notification_id(*, job_id: str, published_ms: int) -> str:
    """The id of a job's notification in every subscriber's partition: a ULID at the
    publish time whose random part comes from the job id, so a page written twice (a
    worker died before its checkpoint) overwrites the same items instead of adding more."""
    return new_ulid(published_ms, entropy=hashlib.sha256(job_id.encode()).digest())


def _fanout_items(delivery: FanoutDelivery, subscribers: Sequence[Subscriber]) -> list[dict]:
    """The page's PutRequests, in DynamoDB's wire format (both tables mixed)."""
    created_at = delivery.published_ms // 1000
    notification_id = fanout_notification_id(
        job_id=delivery.job_id, published_ms=delivery.published_ms
    )
    text, link = delivery.text[:300], _local_link(delivery.link)
    feed_at = delivery.feed_published_at
    items: list[dict] = []
    for subscriber in subscribers:
        if delivery.kind == "video" and feed_at is not None:
            entry = FeedEntry(
                subscriber.user_id,
                f"{int(feed_at):010d}#{delivery.subject_id}",
                video_id=delivery.subject_id,
                channel_id=delivery.channel_id,
                expires_at=int(feed_at) + FEED_TTL_S,
            )
            items.append({FeedEntry.Meta.table_name: entry.serialize()})
        if subscriber.notify == "all":
            note = Notification(
                subscriber.user_id,
                notification_id,
                kind=delivery.kind,
                text=text,
                link=link,
                read=False,
                unread_user_id=subscriber.user_id,
                created_at=created_at,
                expires_at=created_at + NOTIFICATION_TTL_S,
            )
            items.append({Notification.Meta.table_name: note.serialize()})
    return items


def _backoff(attempt: int) -> None:
    """Full jitter: a random wait up to a cap that doubles each attempt, so workers
    throttled together do not come back together."""
    time.sleep(random.uniform(0, min(BATCH_BACKOFF_CAP_S, BATCH_BACKOFF_BASE_S * 2**attempt)))


def _batch_write(client, chunk: list[dict]) -> int:
    """Write up to 25 puts, sending UnprocessedItems again with backoff. Returns the
    number of BatchWriteItem requests made."""
    pending: dict[str, list] = {}
    for item in chunk:
        ((table, attributes),) = item.items()
        pending.setdefault(table, []).append({"PutRequest": {"Item": attributes}})
    for attempt in range(BATCH_ATTEMPTS):
        try:
            response = client.batch_write_item(RequestItems=pending)
        except ClientError as error:
            # Every item of the request throttled: nothing was written, send it all again.
            if not contended(error):
                raise
        else:
            pending = response.get("UnprocessedItems") or {}
            if not pending:
                return attempt + 1
        if attempt < BATCH_ATTEMPTS - 1:
            _backoff(attempt)
    left = sum(len(requests) for requests in pending.values())
    raise FanoutDeliveryError(f"{left} item(s) still unprocessed after {BATCH_ATTEMPTS} requests")


def fanout_page_deliver(*, delivery: FanoutDelivery, subscribers: Sequence[Subscriber]) -> int:
    """Write one page of a fan-out: feed entries and notifications of ``subscribers``,
    25 puts per BatchWriteItem, FANOUT_WRITERS requests at a time. Every item's key is
    fixed by the job and the subscriber, so writing a page again changes nothing.
    Returns the number of BatchWriteItem requests (at least ceil(items / 25)); raises
    FanoutDeliveryError when some items stayed unprocessed."""
    try:
        return _deliver(_fanout_items(delivery, subscribers))
    finally:
        for subscriber in subscribers:
            recent.forget_unread(subscriber.user_id)


def _deliver(items: list[dict]) -> int:
    chunks = [items[i : i + BATCH_ITEMS] for i in range(0, len(items), BATCH_ITEMS)]
    # Made here, not in the writer threads: the first calls of the (cached) getter from
    # several threads at once would each build a client, about 11 MB apiece.
    client = dynamodb_client()
    if len(chunks) <= 1:
        return sum(_batch_write(client, chunk) for chunk in chunks)
    with ThreadPoolExecutor(min(FANOUT_WRITERS, len(chunks))) as pool:
        return sum(pool.map(lambda chunk: _batch_write(client, chunk), chunks))
