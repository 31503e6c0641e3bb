"""Video cards: a grid of posters, titles, channels and counts, the same for every viewer.

A grid is rendered once per remembered page (videoplatform.fragments), so what a card
needs beyond the video (its channel's name, handle and avatar) is looked up then, not
per request: through the channels this process remembers (channels_app.selectors
``channels_by_id``), each channel once, the rest in one batch read."""

from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from channels_app.selectors import channels_by_id
from videoplatform.fragments import fragment
from videoplatform.storage import media_url


@dataclass
class Card:
    video: object
    poster_url: str
    channel: object | None = None  # None when the card leaves the channel out
    avatar_url: str = ""


def cards(videos, *, channels: dict | None = None, show_channel: bool = True) -> list[Card]:
    """A card for each video; ``channels`` are ones the caller already has (by id)."""
    videos = list(videos)
    known = dict(channels or {})
    if show_channel:
        wanted = [v.channel_id for v in videos if v.channel_id not in known]
        if wanted:
            known.update(channels_by_id(wanted))
    avatars: dict[str, str] = {}
    result = []
    for video in videos:
        channel = known.get(video.channel_id) if show_channel else None
        if channel is not None and channel.channel_id not in avatars:
            avatars[channel.channel_id] = media_url(channel.avatar_key)
        result.append(
            Card(
                video=video,
                poster_url=media_url(video.poster_key),
                channel=channel,
                avatar_url=avatars.get(channel.channel_id, "") if channel is not None else "",
            )
        )
    return result


def render_grid(videos, *, channels: dict | None = None, show_channel: bool = True) -> str:
    return render_to_string(
        "videos_app/_video_grid.html",
        {"cards": cards(videos, channels=channels, show_channel=show_channel)},
    )


def video_grid(page, *, channel=None) -> SafeString:
    """A page's cards, rendered once for as long as the page is remembered (a shared
    first page) or once for this request (any other page). With ``channel`` (a
    channel's own page) the cards leave out the channel every one of them shares."""
    if channel is not None:
        return fragment(
            page.fragments, "grid:own-channel", lambda: render_grid(page.items, show_channel=False)
        )
    return fragment(page.fragments, "grid", lambda: render_grid(page.items))


def more_grid(page, *, except_video_id: str, limit: int) -> SafeString:
    """The first ``limit`` videos of ``page`` other than the one being watched."""
    return fragment(
        page.fragments,
        f"more:{except_video_id}",
        lambda: render_grid([v for v in page.items if v.video_id != except_video_id][:limit]),
    )
