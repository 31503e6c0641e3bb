"""The home page's "Live now" shelf: the sessions live across the site, each with its
channel, rendered once per remembered list of live sessions (live_app.selectors
``sessions_live_now``, videoplatform.fragments). Channels come from what this process
remembers (channels_app.selectors ``channels_by_id``), the rest in one batch read when
the shelf is rendered, never per page view."""

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from channels_app.selectors import channels_by_id
from live_app.selectors import sessions_live_now
from videoplatform.fragments import fragment
from videoplatform.storage import media_url


def live_shelf() -> SafeString:
    """The shelf's HTML, or "" when nothing is live."""
    page = sessions_live_now()
    if not page.items:
        return SafeString("")
    return fragment(page.fragments, "shelf", lambda: _render(page.items))


def _render(sessions) -> str:
    channels = channels_by_id([session.channel_id for session in sessions])
    items = []
    for session in sessions:
        channel = channels.get(session.channel_id)
        if channel is None or channel.owner_banned:
            continue  # a hidden channel's stream is not advertised
        items.append(
            {"session": session, "channel": channel, "avatar_url": media_url(channel.avatar_key)}
        )
    if not items:
        return ""
    return render_to_string("live_app/_live_shelf.html", {"items": items})
