"""What every viewer reads the same way (a video, its channel's first page of videos,
the first page of the home feed, the watch page's main part), kept a few seconds per
process (VIDEO_CACHE_S), so a busy page costs only the reads that differ per viewer.
Every write of a Video (``Video.save``, ``update``, ``delete``) drops the video's and
its channel's entries and the feed page in this process; other processes see the
change within the TTL."""

from videoplatform.local_cache import LocalCache

videos = LocalCache("VIDEO_CACHE_S", single_refresh=True)
# A channel page's first page of videos (with counts), the same for everyone.
channel_first_page = LocalCache("VIDEO_CACHE_S", max_items=2_000, single_refresh=True)
# The home page's first page, the same for everyone.
feed_first_page = LocalCache("VIDEO_CACHE_S", max_items=4, single_refresh=True)


def forget(video_id: str, channel_id: str | None) -> None:
    videos.discard(video_id)
    feed_first_page.clear()
    if channel_id:
        channel_first_page.discard(channel_id)


# The watch page's main part per video and kind of viewer, with what it was rendered
# from (videos_app.watch_page): reused only while that is all still the same.
watch_shells = LocalCache("VIDEO_CACHE_S", max_items=4_000, single_refresh=True)
