"""What every viewer reads the same way (a video, its channel's newest listed videos,
the first page of the home feed), kept a few seconds per process (VIDEO_CACHE_S), so a
busy page costs only the reads that differ per viewer. Every write of a Video
(``Video.save``, ``update``, ``delete``) drops the video's and its channel's entries
and the feed page in this process; other processes see the change within the TTL."""

from videoplatform.local_cache import LocalCache

videos = LocalCache("VIDEO_CACHE_S")
channel_newest = LocalCache("VIDEO_CACHE_S", max_items=2_000)
# A channel page's first page of videos (with counts), the same for everyone.
channel_first_page = LocalCache("VIDEO_CACHE_S", max_items=2_000)
# The home page's first page, the same for everyone.
feed_first_page = LocalCache("VIDEO_CACHE_S", max_items=4)


def forget(video_id: str, channel_id: str | None) -> None:
    videos.discard(video_id)
    feed_first_page.clear()
    if channel_id:
        channel_newest.discard(channel_id)
        channel_first_page.discard(channel_id)
