"""A channel page's main part, rendered once per remembered state of the channel, kind
of viewer and tab, then finished per request (as the watch page: videos_app.watch_page).

The shell (banner, avatar, name, counts, live badge, the tabs and the open tab: the grid
of videos, the live sessions, or the About panel) is reused while the channel, what the
tab shows and the values shown are the same remembered ones; per request only the
viewer's subscribe button and notification setting are rendered (each state once per
shell) and the CSRF token filled in.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from channels_app import recent
from live_app.models import LiveStatus
from social_app.intents import report_login_url, subscribe_login_url
from videoplatform.fragments import CSRF_PLACEHOLDER, fill, fragment, shell
from videoplatform.storage import media_url
from videos_app.cards import video_grid

SUBSCRIBE_PLACEHOLDER = "@@subscribe@@"
# The page's tabs (``?tab=``), the first the default; any other value shows it.
TABS = (("videos", _("Videos")), ("live", _("Live")), ("about", _("About")))
DEFAULT_TAB = TABS[0][0]


def tab_of(value: str | None) -> str:
    return value if value in dict(TABS) else DEFAULT_TAB


@dataclass
class ChannelInputs:
    channel: object
    live: object | None  # its live session, if any
    kind: str  # anonymous | member | manager (the owner or staff)
    own: bool  # the viewer owns the channel
    subscription: object | None
    tab: str = DEFAULT_TAB
    page: object | None = None  # the channel's Page of videos (the Videos tab)
    sessions: object | None = None  # its Page of newest live sessions (the Live tab)


def viewer_kind(user, channel) -> str:
    if not getattr(user, "is_authenticated", False):
        return "anonymous"
    return "manager" if user.is_staff or user.user_id == channel.owner_user_id else "member"


def channel_main(request, inputs: ChannelInputs) -> SafeString:
    channel = inputs.channel
    avatar_url, banner_url = media_url(channel.avatar_key), media_url(channel.banner_key)
    html, variants = shell(
        recent.page_shells,
        f"{channel.channel_id}:{inputs.kind}:{inputs.tab}",
        _shell_key(inputs, avatar_url, banner_url),
        lambda: _render_shell(inputs, avatar_url, banner_url),
    )
    html = fill(html, {SUBSCRIBE_PLACEHOLDER: _subscribe_area(inputs, variants)})
    if inputs.kind == "anonymous":
        return html  # nothing to post: no token, no cookie
    return fill(html, {CSRF_PLACEHOLDER: get_token(request)})


def _render_shell(inputs: ChannelInputs, avatar_url: str, banner_url: str) -> str:
    channel = inputs.channel
    context = {
        "channel": channel,
        "avatar_url": avatar_url,
        "banner_url": banner_url,
        "live": inputs.live,
        "kind": inputs.kind,
        "tab": inputs.tab,
        "tabs": TABS,
        "subscribe_area": SafeString(SUBSCRIBE_PLACEHOLDER),
        # Anonymous: Report logs in first and comes back to the report form.
        "report_login_url": report_login_url("channel", channel.channel_id),
    }
    if inputs.tab == "videos":
        context["page"] = inputs.page
        context["grid"] = video_grid(inputs.page, channel=channel)
    elif inputs.tab == "live":
        context["past_sessions"] = past_sessions(inputs.sessions, live=inputs.live)
    else:
        context["joined"] = datetime.fromtimestamp(channel.created_at, tz=UTC)
    return render_to_string("channels_app/_channel_main.html", context)


def past_sessions(sessions, *, live) -> list:
    """Sessions that were on air and are over, newest first (the one live now apart)."""
    current = live.stream_id if live is not None else None
    return [
        session
        for session in (sessions.items if sessions is not None else [])
        if session.status == LiveStatus.ENDED
        and session.started_at
        and session.stream_id != current
    ]


def _shell_key(inputs: ChannelInputs, avatar_url, banner_url) -> tuple | None:
    shown = {"videos": inputs.page, "live": inputs.sessions}.get(inputs.tab)
    serials = (
        getattr(inputs.channel, "remembered_as", None),
        shown.remembered_as if shown is not None else 0,
    )
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
                # An anonymous click: log in, come back, and the subscription is done.
                "login_url": subscribe_login_url(
                    inputs.channel.channel_id,
                    reverse("channel_page", args=[inputs.channel.handle]),
                ),
                "csrf_token": CSRF_PLACEHOLDER,
            },
        ),
    )
