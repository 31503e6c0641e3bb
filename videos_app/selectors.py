"""Reads for videos."""

from videos_app.models import FEED_PARTITION, Video
from videoplatform.pagination import Page, query_page

PAGE_SIZE = 24


def public_feed(*, cursor: str | None = None, limit: int = PAGE_SIZE) -> Page:
    """Ready public videos, newest first (sparse GSI, one request per page)."""
    return query_page(Video.public_feed_index, FEED_PARTITION, limit=limit, cursor=cursor)


def channel_public_videos(channel_id: str, *, cursor: str | None = None, limit: int = PAGE_SIZE) -> Page:
    """A channel's ready public videos, newest first."""
    return query_page(Video.channel_public_index, channel_id, limit=limit, cursor=cursor)
