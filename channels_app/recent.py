"""Channels as every visitor of their page sees them, kept a few seconds per process
(VIDEO_CACHE_S): by handle on each channel page, by id beside each video. Every write
of a Channel drops its entries in this process; other processes see the change within
the TTL."""

from videoplatform.local_cache import LocalCache

by_handle = LocalCache("VIDEO_CACHE_S", max_items=2_000, single_refresh=True)
by_id = LocalCache("VIDEO_CACHE_S", max_items=2_000, single_refresh=True)
# A channel page's main part per kind of viewer, with what it was rendered from
# (channels_app.channel_page): reused only while that is all still the same.
page_shells = LocalCache("VIDEO_CACHE_S", max_items=4_000, single_refresh=True)
# The channels a person owns (id, handle, name), for the navigation on every page.
by_owner = LocalCache("VIDEO_CACHE_S", max_items=2_000)
