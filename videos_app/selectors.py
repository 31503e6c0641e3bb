"""Reads for videos."""

from videoplatform.dynamodb import item_or_none
from videoplatform.errors import NotFound
from videoplatform.pagination import Page, query_page
from videos_app.models import FEED_PARTITION, Video, VideoStatus, Visibility

PAGE_SIZE = 24


def video_get(video_id: str, *, consistent: bool = False) -> Video | None:
    return item_or_none(Video, video_id, consistent=consistent)


def can_view(user, video: Video) -> bool:
    """Public and unlisted videos are for anyone with the link; private for owner and staff."""
    is_manager = bool(
        getattr(user, "is_authenticated", False)
        and (user.user_id == video.owner_user_id or user.is_staff)
    )
    if is_manager:
        return True
    if video.status == VideoStatus.REMOVED or video.owner_banned:
        return False
    return video.visibility in {Visibility.PUBLIC, Visibility.UNLISTED}


def video_for_viewer(video_id: str, *, user) -> Video:
    video = video_get(video_id)
    if video is None or not can_view(user, video):
        # The same answer for "missing" and "private": ids of private videos do not leak.
        raise NotFound("This video does not exist or is private.")
    return video


def video_for_manager(video_id: str, *, user) -> Video:
    from videos_app.services import require_manager

    video = video_get(video_id, consistent=True)
    if video is None:
        raise NotFound("No such video.")
    require_manager(user, video)
    return video


def public_feed(*, cursor: str | None = None, limit: int = PAGE_SIZE) -> Page:
    """Ready public videos, newest first (sparse GSI, one request per page)."""
    return query_page(Video.public_feed_index, FEED_PARTITION, limit=limit, cursor=cursor)


def channel_public_videos(
    channel_id: str, *, cursor: str | None = None, limit: int = PAGE_SIZE
) -> Page:
    """A channel's ready public videos, newest first."""
    return query_page(Video.channel_public_index, channel_id, limit=limit, cursor=cursor)


def studio_videos(user_id: str, *, cursor: str | None = None, limit: int = 30) -> Page:
    """All of a creator's videos, newest first, whatever their state."""
    return query_page(Video.owner_index, user_id, limit=limit, cursor=cursor)
