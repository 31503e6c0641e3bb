"""Reads for live sessions."""

from live_app import recent
from live_app.models import LIVE_SHARDS, LiveStatus, LivestreamSession
from videoplatform.dynamodb import all_shards, item_or_none
from videoplatform.local_cache import MISSING
from videoplatform.pagination import Page, merged_page, query_page


def session_get(stream_id: str, *, consistent: bool = False) -> LivestreamSession | None:
    return item_or_none(LivestreamSession, stream_id, consistent=consistent)


def sessions_for_owner(user_id: str, *, cursor: str | None = None, limit: int = 20) -> Page:
    return query_page(LivestreamSession.owner_index, user_id, limit=limit, cursor=cursor)


def live_now(channel_id: str) -> LivestreamSession | None:
    """The channel's session that is live, if any (the newest few are enough); kept a
    few seconds per process (``recent``)."""
    remembered = recent.live_by_channel.get(channel_id)
    if remembered is not MISSING:
        return LivestreamSession.from_raw_data(remembered) if remembered else None
    session = _live_now(channel_id)
    recent.live_by_channel.set(channel_id, session.serialize() if session else None)
    return session


def _live_now(channel_id: str) -> LivestreamSession | None:
    for session in LivestreamSession.channel_index.query(
        channel_id, scan_index_forward=False, limit=5, page_size=5
    ):
        if session.status == LiveStatus.LIVE:
            return session
    return None


def live_index_sessions(name: str, *, limit: int = 100) -> list[LivestreamSession]:
    """Sessions in the live-index under ``name`` (live now, or awaiting their replay),
    oldest first across its partitions."""
    page = merged_page(
        LivestreamSession.live_index,
        all_shards(name, LIVE_SHARDS),
        sort_attribute="live_since",
        limit=limit,
        cursor=None,
        newest_first=False,
    )
    return page.items


def session_on_channel_at(
    *, channel_id: str, channel_arn: str, at: float
) -> LivestreamSession | None:
    """The session that a reused live-service channel served at ``at`` (Unix seconds):
    the newest of the channel's sessions on that ARN created by then."""
    for session in LivestreamSession.channel_index.query(
        channel_id,
        LivestreamSession.created_at <= int(at),
        scan_index_forward=False,
        filter_condition=LivestreamSession.channel_arn == channel_arn,
        page_size=10,
    ):
        return session
    return None


def session_after(
    *, channel_id: str, channel_arn: str | None, created_at: int
) -> LivestreamSession | None:
    """The next session on the same live-service channel, if the channel was reused."""
    if not channel_arn:
        return None
    for session in LivestreamSession.channel_index.query(
        channel_id,
        LivestreamSession.created_at > created_at,
        filter_condition=LivestreamSession.channel_arn == channel_arn,
        page_size=10,
    ):
        return session
    return None
