"""Reads for videos: single videos, the listings, their counts, and the work queues."""

from django.utils.translation import gettext as _

from videoplatform.aws import dynamodb_client
from videoplatform.dynamodb import all_shards, item_or_none
from videoplatform.errors import NotFound
from videoplatform.local_cache import MISSING
from videoplatform.models import TALLY_SHARDS, Tally
from videoplatform.pagination import Page, merged_page, query_page
from videoplatform.tallies import (
    Counts,
    counts_from_items,
    tallies_get,
    tally_keys,
    video_subject,
)
from videos_app import recent
from videos_app.models import (
    FEED,
    FEED_SHARDS,
    PENDING,
    PENDING_SHARDS,
    UPLOADING,
    Video,
    VideoStatus,
)
from videos_app.permissions import can_view, require_manager

# A page of cards is read in one BatchGetItem with its counts (VIDEOS_PER_BATCH).
PAGE_SIZE = 20


def video_get(
    video_id: str, *, consistent: bool = False, with_counts: bool = False
) -> Video | None:
    video = item_or_none(Video, video_id, consistent=consistent)
    if video is not None and with_counts:
        video.counts = video_counts(video_id, consistent=consistent)
    return video


def _recent_video(video_id: str) -> Video | None:
    """The video as every viewer sees it, from this process's memory while fresh."""
    entry = recent.videos.get_entry(video_id)
    if entry is MISSING:
        video = video_get(video_id)
        if video is not None:
            video.remembered_as = recent.videos.set(video_id, video.serialize())
        else:
            recent.videos.discard(video_id)
        return video
    video = Video.from_raw_data(entry[0])
    video.remembered_as = entry[1]
    return video


def video_for_viewer(video_id: str, *, user, with_counts: bool = False) -> Video:
    video = _recent_video(video_id)
    if video is not None and with_counts:
        video.counts = video_counts(video_id)
    if video is None or not can_view(user, video):
        # The same answer for "missing" and "private": ids of private videos do not leak.
        raise NotFound(_("This video does not exist or is private."))
    return video


def video_for_manager(video_id: str, *, user) -> Video:
    video = video_get(video_id, consistent=True)
    if video is None:
        raise NotFound(_("No such video."))
    require_manager(user, video)
    return video


# --- Counts --------------------------------------------------------------------------


def video_counts(video_id: str, *, consistent: bool = False) -> Counts:
    """Views, likes and comments of one video (one BatchGetItem over its tally shards)."""
    return tallies_get([video_subject(video_id)], consistent=consistent)[video_subject(video_id)]


def with_counts(videos: list[Video]) -> list[Video]:
    """Attach every video's counts, read in one BatchGetItem for up to 25 videos."""
    counts = tallies_get([video_subject(video.video_id) for video in videos])
    for video in videos:
        video.counts = counts[video_subject(video.video_id)]
    return videos


# --- Listings ------------------------------------------------------------------------


# One BatchGetItem holds 100 keys: a video and its TALLY_SHARDS tally shards are five.
VIDEOS_PER_BATCH = 100 // (1 + TALLY_SHARDS)


def videos_by_id(video_ids: list[str], *, counts: bool = True) -> dict[str, Video]:
    """Videos by key with their counts, read together: one BatchGetItem per 20 videos."""
    video_ids = list(dict.fromkeys(video_ids))
    found: dict[str, Video] = {}
    tally_items: list[dict] = []
    client = dynamodb_client()
    for start in range(0, len(video_ids), VIDEOS_PER_BATCH):
        chunk = video_ids[start : start + VIDEOS_PER_BATCH]
        request = {Video.Meta.table_name: {"Keys": [{"video_id": {"S": v}} for v in chunk]}}
        if counts:
            keys = [key for v in chunk for key in tally_keys(video_subject(v))]
            request[Tally.Meta.table_name] = {"Keys": keys}
        while request:
            response = client.batch_get_item(RequestItems=request)
            for raw in response.get("Responses", {}).get(Video.Meta.table_name, []):
                video = Video.from_raw_data(raw)
                found[video.video_id] = video
            tally_items += response.get("Responses", {}).get(Tally.Meta.table_name, [])
            request = response.get("UnprocessedKeys") or {}
    if counts:
        summed = counts_from_items(tally_items)
        for video in found.values():
            video.counts = summed.get(video_subject(video.video_id), Counts())
    return found


def public_feed(*, cursor: str | None = None, limit: int = PAGE_SIZE) -> Page:
    """Listed videos, newest first: the FEED_SHARDS partitions of the keys-only feed
    index merged (one Query each), then the videos and their counts by key (one
    BatchGetItem). The first page, the same for everyone, is kept a few seconds per
    process (``recent``)."""
    if cursor is None:
        remembered = recent.feed_first_page.get(str(limit))
        if remembered is not MISSING:
            # The same objects (and fragments rendered from them) for every request of
            # the TTL: pages only read them.
            return _shared_copy(remembered)
    page = _public_feed_page(cursor=cursor, limit=limit)
    if cursor is None:
        page.remembered_as = recent.feed_first_page.set(str(limit), page)
        return _shared_copy(page)
    return page


def _shared_copy(page: Page) -> Page:
    """A remembered page for one request: its own list, the shared items and fragments."""
    return Page(
        items=list(page.items),
        next_cursor=page.next_cursor,
        fragments=page.fragments,
        remembered_as=page.remembered_as,
    )


def _public_feed_page(*, cursor: str | None, limit: int) -> Page:
    page = merged_page(
        Video.feed_shard_index,
        all_shards(FEED, FEED_SHARDS),
        sort_attribute="published_at",
        limit=limit,
        cursor=cursor,
    )
    found = videos_by_id([stub.video_id for stub in page.items])
    # Read by key after the index: one unlisted meanwhile is left out.
    videos = [found[s.video_id] for s in page.items if s.video_id in found]
    page.items = [video for video in videos if video.listed]
    return page


def channel_public_videos(
    channel_id: str, *, cursor: str | None = None, limit: int = PAGE_SIZE, counts: bool = True
) -> Page:
    """A channel's listed videos, newest first, with their counts (unless the caller
    reads them in a batch of its own: ``counts=False``). The first page with counts, the
    same for everyone, is kept a few seconds per process."""
    shared = cursor is None and counts
    if shared:
        remembered = recent.channel_first_page.get(channel_id)
        if remembered is not MISSING and remembered[0] == limit:
            return _shared_copy(remembered[1])
    page = query_page(Video.channel_public_index, channel_id, limit=limit, cursor=cursor)
    if counts:
        page.items = with_counts(page.items)
    if shared:
        page.remembered_as = recent.channel_first_page.set(channel_id, (limit, page))
        return _shared_copy(page)
    return page


def studio_videos(user_id: str, *, cursor: str | None = None, limit: int = PAGE_SIZE) -> Page:
    """All of a creator's videos, newest first, whatever their state, with counts."""
    page = query_page(Video.owner_index, user_id, limit=limit, cursor=cursor)
    page.items = with_counts(page.items)
    return page


# --- Work queues (the transcode worker and reconcile) --------------------------------


def _pending_merged(name: str, *, limit: int, **query_kwargs) -> list[Video]:
    """Oldest first across the partitions of one name in the pending index."""
    page = merged_page(
        Video.pending_index,
        all_shards(name, PENDING_SHARDS),
        sort_attribute="pending_since",
        limit=limit,
        cursor=None,
        newest_first=False,
        **query_kwargs,
    )
    return page.items


def queued_videos(*, limit: int = 10) -> list[Video]:
    """Queued videos, oldest first (a filter, so videos being processed ahead of them
    never hide them)."""
    return _pending_merged(
        PENDING, limit=limit, filter_condition=Video.status == str(VideoStatus.QUEUED)
    )


def pending_videos(*, limit: int = 100) -> list[Video]:
    """Videos whose transcode is not settled, oldest first (reconcile)."""
    return _pending_merged(PENDING, limit=limit)


def uploads_started_before(cutoff: int, *, limit: int = 100) -> list[Video]:
    """Uploads still waiting for their file that began before ``cutoff``."""
    return _pending_merged(UPLOADING, limit=limit, range_key_condition=Video.pending_since < cutoff)
