"""What an anonymous viewer asked for before logging in, done once they have.

An anonymous Like or Subscribe links to the log-in page with ``next`` (the page it was
on) and ``intent`` (``like:<video_id>`` or ``subscribe:<channel_id>``). The log-in form
keeps the intent in a hidden field and shows what it will do; the log-in POST (CSRF
protected, the person's own click and password) is the consent, and the intent is done
right after it. Anything else is ignored without a word: an unknown kind, a malformed
id, an intent about something other than the page ``next`` names (a link from elsewhere
cannot make someone like or follow what they were not looking at), a video or channel
that is missing, not visible to the person, not ready, or their own.
"""

import logging
import re
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _

from channels_app.selectors import channel_get, channel_get_by_handle
from social_app import services
from videoplatform.errors import ApplicationError
from videos_app.models import VideoStatus
from videos_app.selectors import video_for_viewer

logger = logging.getLogger(__name__)

KINDS = ("like", "subscribe")
_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")


@dataclass(frozen=True)
class Intent:
    kind: str
    target_id: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.target_id}"


def intent_parse(raw: str | None) -> Intent | None:
    """``kind:id`` with an allowed kind and a plausible id, else None."""
    kind, sep, target_id = (raw or "").strip().partition(":")
    if not sep or kind not in KINDS or not _ID.fullmatch(target_id):
        return None
    return Intent(kind, target_id)


def login_url(next_path: str, intent: str = "") -> str:
    """The log-in page that comes back to ``next_path`` and then does ``intent``."""
    query = {"next": next_path}
    if intent:
        query["intent"] = intent
    return reverse("login") + "?" + urlencode(query)


def like_login_url(video_id: str) -> str:
    return login_url(reverse("watch", args=[video_id]), f"like:{video_id}")


def subscribe_login_url(channel_id: str, back: str) -> str:
    return login_url(back, f"subscribe:{channel_id}")


def comment_login_url(video_id: str) -> str:
    """Log in, then back at the comment form of the watch page."""
    return login_url(reverse("watch", args=[video_id]) + "#comment-form")


def report_login_url(kind: str, target_id: str) -> str:
    """Log in, then on the report form (a GET page: it completes by itself)."""
    return login_url(reverse("report") + "?" + urlencode({"type": kind, "id": target_id}))


def _page_of(next_path: str) -> tuple[str, dict]:
    """The URL name and arguments of the page ``next_path`` names ("" when none)."""
    try:
        match = resolve(urlsplit(next_path or "").path)
    except Resolver404:
        return "", {}
    return match.url_name or "", match.kwargs


def _target(intent: Intent, *, next_path: str, user):
    """The video or channel the intent is about, if ``next`` shows it and ``user`` may
    see it; else None."""
    name, kwargs = _page_of(next_path)
    if intent.kind == "like":
        if name != "watch" or kwargs.get("video_id") != intent.target_id:
            return None
        return _visible_video(intent.target_id, user)
    channel = channel_get(intent.target_id)
    if channel is None:
        return None
    if name == "channel_page":
        shown = channel_get_by_handle(kwargs.get("handle", ""))
        return channel if shown is not None and shown.channel_id == channel.channel_id else None
    if name == "watch":
        video = _visible_video(kwargs.get("video_id", ""), user)
        return channel if video is not None and video.channel_id == channel.channel_id else None
    return None


def _visible_video(video_id: str, user):
    try:
        return video_for_viewer(video_id, user=user)
    except ApplicationError:
        return None


def intent_describe(raw: str | None, *, next_path: str, user) -> str | None:
    """What the log-in page says it will do ("Log in to like “Title”."), or None when
    the intent would be ignored."""
    intent = intent_parse(raw)
    target = _target(intent, next_path=next_path, user=user) if intent else None
    if target is None:
        return None
    if intent.kind == "like":
        if target.status != VideoStatus.READY:
            return None
        return _("Log in to like “%(title)s”.") % {"title": target.title}
    return _("Log in to subscribe to %(name)s.") % {"name": target.name}


def intent_perform(raw: str | None, *, user, next_path: str) -> str | None:
    """Do the intent for the person who just logged in; the message to show them, or
    None when there was nothing (valid) to do."""
    intent = intent_parse(raw)
    target = _target(intent, next_path=next_path, user=user) if intent else None
    if target is None:
        return None
    try:
        if intent.kind == "like":
            services.like_set(user=user, video_id=target.video_id, liked=True)
            return _("You liked “%(title)s”.") % {"title": target.title}
        services.subscription_set(user=user, channel_id=target.channel_id, subscribed=True)
        return _("You subscribed to %(name)s.") % {"name": target.name}
    except ApplicationError as error:
        logger.info("intent %s not done for %s: %s", intent, user.user_id, error.message)
        return None
