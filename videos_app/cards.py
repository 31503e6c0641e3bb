"""Video cards: a grid of posters, titles and counts, the same for every viewer."""

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from videoplatform.fragments import fragment
from videoplatform.storage import media_url


def cards(videos) -> list[tuple]:
    """(video, poster URL) for each video."""
    return [(video, media_url(video.poster_key)) for video in videos]


def render_grid(videos) -> str:
    return render_to_string("videos_app/_video_grid.html", {"cards": cards(videos)})


def video_grid(page) -> SafeString:
    """A page's cards, rendered once for as long as the page is remembered (a shared
    first page) or once for this request (any other page)."""
    return fragment(page.fragments, "grid", lambda: render_grid(page.items))


def more_grid(page, *, except_video_id: str, limit: int) -> SafeString:
    """The first ``limit`` videos of ``page`` other than the one being watched."""
    return fragment(
        page.fragments,
        f"more:{except_video_id}",
        lambda: render_grid([v for v in page.items if v.video_id != except_video_id][:limit]),
    )
