"""What every viewer of a video reads the same way (the video, its channel's newest
listed videos), kept a few seconds per process (VIDEO_CACHE_S) so a busy watch page
costs its per-viewer reads only. Every write of a Video (``Video.save``, ``update``,
``delete``) drops the video's and its channel's entries in this process; other
processes see the change within the TTL."""

from videoplatform.local_cache import LocalCache

videos = LocalCache("VIDEO_CACHE_S")
channel_newest = LocalCache("VIDEO_CACHE_S", max_items=2_000)


def forget(video_id: str, channel_id: str | None) -> None:
    videos.discard(video_id)
    if channel_id:
        channel_newest.discard(channel_id)
