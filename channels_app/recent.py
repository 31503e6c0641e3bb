"""Channels as every visitor of their page sees them, kept a few seconds per process
(VIDEO_CACHE_S): looked up by handle on each channel page. Every write of a Channel
drops its entry in this process; other processes see the change within the TTL."""

from videoplatform.local_cache import LocalCache

by_handle = LocalCache("VIDEO_CACHE_S", max_items=2_000)
