"""Whether a channel is live, as every visitor of its page sees it, kept a few seconds
per process (VIDEO_CACHE_S). Every write of a LivestreamSession drops its channel's
entry in this process; other processes see a stream start or end within the TTL."""

from videoplatform.local_cache import LocalCache

live_by_channel = LocalCache("VIDEO_CACHE_S", max_items=2_000, single_refresh=True)
