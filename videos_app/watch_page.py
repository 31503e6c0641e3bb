"""The watch page's main part, rendered once per remembered state of the video and kind
of viewer, then finished per request.

Everything a viewer of a kind (anonymous, member, manager: see
social_app.comment_fragments) sees the same way is rendered into a shell: the player,
title, counts, description, the comments with their forms, the videos beside it. The
shell is reused while every input it was rendered from is the same remembered value
(the serials of videoplatform.local_cache: the video, its channel, its first page of
comments, its channel's first page; and the counts and poster URL themselves), so it is
never older than the data and a write in this process shows at once. Per request only
the viewer's own parts are rendered (the like and subscribe buttons, their own
comments' controls) and the tokens filled in.

The comments come in two orders (``?sort=``): newest first, the default, from the page
every viewer shares (social_app.selectors.comments_page), and "top", whose ranked page
is read only for a request that asks for it and has a shell of its own.
"""

from dataclasses import dataclass, replace
from urllib.parse import urlencode

from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString

from social_app.comment_fragments import (
    COMMENT_TOKEN_PLACEHOLDER,
    CSRF_PLACEHOLDER,
    finished,
    shared_threads,
)
from social_app.intents import (
    comment_login_url,
    like_login_url,
    report_login_url,
    subscribe_login_url,
)
from social_app.selectors import DEFAULT_COMMENT_SORT, comment_sort, top_comments_page
from social_app.view_tokens import view_token_issue
from videoplatform.fragments import fill, fragment, shell
from videoplatform.storage import media_url
from videoplatform.templatetags.ui import compact
from videos_app import recent
from videos_app.cards import more_grid

LIKE_PLACEHOLDER = "@@like-button@@"
SUBSCRIBE_PLACEHOLDER = "@@subscribe@@"
VIEW_URL_PLACEHOLDER = "@@view-url@@"
# Videos of the same channel beside the player.
MORE_FROM_CHANNEL = 6


@dataclass
class WatchInputs:
    video: object
    state: object  # social_app.selectors.WatchState
    kind: str
    comments: object | None  # the first CommentsPage, None while comments are closed
    neighbours: object  # the channel's first Page of videos
    playable: bool
    player: object | None
    poster_url: str | None


def watch_main(request, inputs: WatchInputs) -> SafeString:
    video, kind = inputs.video, inputs.kind
    sort = comment_sort(request.GET.get("sort"))
    name = f"{video.video_id}:{kind}"
    if sort != DEFAULT_COMMENT_SORT and inputs.comments is not None:
        inputs = replace(inputs, comments=top_comments_page(video.video_id))
        name += f":{sort}"
    avatar_url = media_url(inputs.state.channel.avatar_key) if inputs.state.channel else ""
    html, variants = shell(
        recent.watch_shells,
        name,
        _shell_key(inputs, avatar_url),
        lambda: _render_shell(inputs, avatar_url),
    )
    html = fill(
        html,
        {
            LIKE_PLACEHOLDER: _like_button(inputs, variants),
            SUBSCRIBE_PLACEHOLDER: _subscribe_area(request, inputs, variants),
            VIEW_URL_PLACEHOLDER: escape(
                reverse("view", args=[video.video_id])
                + "?"
                + urlencode({"t": view_token_issue(video_id=video.video_id)})
            ),
        },
    )
    return finished(
        html, request, video=video, page=inputs.comments, kind=kind, csrf_token=get_token(request)
    )


def _shell_key(inputs: WatchInputs, avatar_url: str) -> tuple | None:
    """What the shell was rendered from; None when something was not remembered."""
    channel = inputs.state.channel
    serials = (
        getattr(inputs.video, "remembered_as", None),
        getattr(channel, "remembered_as", None) if channel is not None else 0,
        inputs.comments.remembered_as if inputs.comments is not None else 0,
        inputs.neighbours.remembered_as,
    )
    if None in serials:
        return None
    counts = (inputs.video.counts, getattr(channel, "counts", None))
    return (*serials, counts, inputs.poster_url, avatar_url)


def _render_shell(inputs: WatchInputs, avatar_url: str) -> str:
    video = inputs.video
    threads = None
    if inputs.comments is not None:
        threads = shared_threads(video=video, page=inputs.comments, kind=inputs.kind)
    return render_to_string(
        "videos_app/_watch_main.html",
        {
            "video": video,
            "channel": inputs.state.channel,
            "channel_avatar_url": avatar_url,
            "kind": inputs.kind,
            "sort": inputs.comments.sort if inputs.comments is not None else "",
            "comment_threads": threads,
            "poster_url": inputs.poster_url,
            "playable": inputs.playable,
            "player": inputs.player,
            "more": more_grid(
                inputs.neighbours, except_video_id=video.video_id, limit=MORE_FROM_CHANNEL
            ),
            "like_button": SafeString(LIKE_PLACEHOLDER),
            "subscribe_area": SafeString(SUBSCRIBE_PLACEHOLDER),
            "view_url": SafeString(VIEW_URL_PLACEHOLDER),
            "csrf_token": CSRF_PLACEHOLDER,
            "comment_token": COMMENT_TOKEN_PLACEHOLDER,
            # Anonymous: Comment and Report log in first and come back to them.
            "comment_login_url": comment_login_url(video.video_id),
            "report_login_url": report_login_url("video", video.video_id),
        },
    )


def _like_button(inputs: WatchInputs, variants: dict) -> str:
    """The like button in the viewer's state; each state rendered once per shell."""
    liked = inputs.state.liked
    return fragment(
        variants,
        f"like:{liked}",
        lambda: render_to_string(
            "social_app/_like_button.html",
            {
                "anonymous": inputs.kind == "anonymous",
                "video_id": inputs.video.video_id,
                "liked": liked,
                "like_count": inputs.video.like_count,
                # An anonymous click: log in, come back, and the like is done.
                "login_url": like_login_url(inputs.video.video_id),
                "csrf_token": CSRF_PLACEHOLDER,
            },
        ),
    )


def _subscribe_area(request, inputs: WatchInputs, variants: dict) -> str:
    """The subscribe button in the viewer's state (their own channel: its count)."""
    channel, subscription = inputs.state.channel, inputs.state.subscription
    if channel is None:
        return ""
    user = request.user
    if getattr(user, "is_authenticated", False) and channel.owner_user_id == user.user_id:
        count = channel.subscriber_count
        return format_html(
            '<span class="subscriber-count">{} subscriber{}</span>',
            compact(count),
            "" if count == 1 else "s",
        )
    notify = subscription.notify if subscription else None
    return fragment(
        variants,
        f"subscribe:{subscription is not None}:{notify}",
        lambda: render_to_string(
            "social_app/_subscribe_button.html",
            {
                "anonymous": inputs.kind == "anonymous",
                "channel": channel,
                "subscribed": subscription is not None,
                "notify": notify,
                "subscriber_count": channel.subscriber_count,
                "back": reverse("watch", args=[inputs.video.video_id]),
                "login_url": subscribe_login_url(
                    channel.channel_id, reverse("watch", args=[inputs.video.video_id])
                ),
                "csrf_token": CSRF_PLACEHOLDER,
            },
        ),
    )
