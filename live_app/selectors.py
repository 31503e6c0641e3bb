"""Reads for live sessions."""

from live_app import recent
from live_app.models import LIVE_NOW, LIVE_SHARDS, LiveStatus, LivestreamSession
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


# The home page's "Live now" shelf shows at most this many sessions.
SHELF_SIZE = 8
# A channel page's Live tab: its current session and the ones before it.
CHANNEL_SESSIONS = 10


def sessions_live_now(*, limit: int = SHELF_SIZE) -> Page:
    """Sessions live now across the site, newest first: the ``live`` partitions of the
    sparse live-index (one Query each for at most ``limit``), kept a few seconds per
    process with what was rendered from them (``recent.live_shelf``), so the shelf
    costs a page view nothing while fresh. An index entry of a session that has just
    ended is left out."""
    entry = recent.live_shelf.get_entry(str(limit))
    if entry is MISSING:
        page = merged_page(
            LivestreamSession.live_index,
            all_shards(LIVE_NOW, LIVE_SHARDS),
            sort_attribute="live_since",
            limit=limit,
            cursor=None,
        )
        page.items = [session for session in page.items if session.status == LiveStatus.LIVE]
        page.next_cursor = None
        page.remembered_as = recent.live_shelf.set(str(limit), page)
    else:
        page = entry[0]
    # The shared sessions and fragments, in a list of this request's own.
    return Page(items=list(page.items), fragments=page.fragments, remembered_as=page.remembered_as)


def channel_sessions(channel_id: str) -> Page:
    """A channel's newest sessions (live, waiting, ended), newest first: one Query of
    the channel-index, kept a few seconds per process (``recent.sessions_by_channel``);
    ``remembered_as`` says which remembered read it is."""
    entry = recent.sessions_by_channel.get_entry(channel_id)
    if entry is MISSING:
        sessions = list(
            LivestreamSession.channel_index.query(
                channel_id,
                scan_index_forward=False,
                limit=CHANNEL_SESSIONS,
                page_size=CHANNEL_SESSIONS,
            )
        )
        serial = recent.sessions_by_channel.set(channel_id, [s.serialize() for s in sessions])
        return Page(items=sessions, remembered_as=serial)
    return Page(
        items=[LivestreamSession.from_raw_data(raw) for raw in entry[0]], remembered_as=entry[1]
    )


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
