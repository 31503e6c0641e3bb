"""A channel page's main part, rendered once per remembered state of the channel and
kind of viewer, then finished per request (as the watch page: videos_app.watch_page).

The shell (banner, avatar, name, counts, live badge, description, the grid of videos)
is reused while the channel, its first page of videos and the values shown are the same
remembered ones; per request only the viewer's subscribe button and notification
setting are rendered (each state once per shell) and the CSRF token filled in.
"""

from dataclasses import dataclass

from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString

from channels_app import recent
from videoplatform.fragments import CSRF_PLACEHOLDER, fill, fragment, shell
from videoplatform.storage import media_url
from videos_app.cards import video_grid

SUBSCRIBE_PLACEHOLDER = "@@subscribe@@"


@dataclass
class ChannelInputs:
    channel: object
    page: object  # the channel's Page of videos
    live: object | None  # its live session, if any
    kind: str  # anonymous | member | manager (the owner or staff)
    own: bool  # the viewer owns the channel
    subscription: object | None


def viewer_kind(user, channel) -> str:
    if not getattr(user, "is_authenticated", False):
        return "anonymous"
    return "manager" if user.is_staff or user.user_id == channel.owner_user_id else "member"


def channel_main(request, inputs: ChannelInputs) -> SafeString:
    channel = inputs.channel
    avatar_url, banner_url = media_url(channel.avatar_key), media_url(channel.banner_key)
    html, variants = shell(
        recent.page_shells,
        f"{channel.channel_id}:{inputs.kind}",
        _shell_key(inputs, avatar_url, banner_url),
        lambda: render_to_string(
            "channels_app/_channel_main.html",
            {
                "channel": channel,
                "avatar_url": avatar_url,
                "banner_url": banner_url,
                "live": inputs.live,
                "kind": inputs.kind,
                "page": inputs.page,
                "grid": video_grid(inputs.page),
                "subscribe_area": SafeString(SUBSCRIBE_PLACEHOLDER),
            },
        ),
    )
    html = fill(html, {SUBSCRIBE_PLACEHOLDER: _subscribe_area(inputs, variants)})
    if inputs.kind == "anonymous":
        return html  # nothing to post: no token, no cookie
    return fill(html, {CSRF_PLACEHOLDER: get_token(request)})


def _shell_key(inputs: ChannelInputs, avatar_url, banner_url) -> tuple | None:
    serials = (getattr(inputs.channel, "remembered_as", None), inputs.page.remembered_as)
    if None in serials:
        return None
    live = inputs.live.stream_id if inputs.live is not None else None
    return (*serials, inputs.channel.counts, live, avatar_url, banner_url)


def _subscribe_area(inputs: ChannelInputs, variants: dict) -> str:
    subscription = inputs.subscription
    notify = subscription.notify if subscription else None
    return fragment(
        variants,
        f"subscribe:{inputs.own}:{subscription is not None}:{notify}",
        lambda: render_to_string(
            "channels_app/_channel_subscribe.html",
            {
                "anonymous": inputs.kind == "anonymous",
                "channel": inputs.channel,
                "is_own_channel": inputs.own,
                "subscribed": subscription is not None,
                "notify": notify,
                "subscriber_count": inputs.channel.subscriber_count,
                "back": reverse("channel_page", args=[inputs.channel.handle]),
                "csrf_token": CSRF_PLACEHOLDER,
            },
        ),
    )
