"""What many requests read the same way, kept a few seconds per process.

- A video's first page of comments, as every viewer reads it (VIDEO_CACHE_S), with the
  HTML rendered from it (videoplatform.fragments). Every comment write in this process
  drops the video's entry at once; other processes show a new comment within the TTL.
  The same for its threads ranked in the "top" order, read only when someone asks for it.
- A user's unread count (BELL_CACHE_S), which each of their tabs polls. A notification
  written or read in this process drops the user's entry.
"""

from videoplatform.local_cache import LocalCache

comments_first_page = LocalCache("VIDEO_CACHE_S", max_items=2_000, single_refresh=True)
# A video's threads ranked for the "top" order (social_app.selectors.top_comments_page),
# read only when someone asks for that order; dropped with the first page.
comments_top = LocalCache("VIDEO_CACHE_S", max_items=500, single_refresh=True)


def forget_comments(video_id: str) -> None:
    comments_first_page.discard(video_id)
    comments_top.discard(video_id)


unread_counts = LocalCache("BELL_CACHE_S", max_items=50_000)


def forget_unread(user_id: str) -> None:
    unread_counts.discard(user_id)
