"""Live sessions as every visitor sees them, kept a few seconds per process
(VIDEO_CACHE_S): a channel's newest sessions (whether it is live, its Live tab) and the
sessions live across the site (the home page's shelf). Every write of a
LivestreamSession drops its channel's entry and the shelf in this process; other
processes see a stream start or end within the TTL."""

from videoplatform.local_cache import LocalCache

live_by_channel = LocalCache("VIDEO_CACHE_S", max_items=2_000, single_refresh=True)
# A channel's newest sessions (raw items), for its page's Live tab.
sessions_by_channel = LocalCache("VIDEO_CACHE_S", max_items=2_000, single_refresh=True)
# The sessions live now across the site, newest first (a Page, with its fragments).
live_shelf = LocalCache("VIDEO_CACHE_S", max_items=4, single_refresh=True)


def forget(channel_id: str) -> None:
    live_by_channel.discard(channel_id)
    sessions_by_channel.discard(channel_id)
    live_shelf.clear()
