"""Template tags for the design system: icons from the pinned Lucide set.

``{% icon "bell" %}`` puts the icon's SVG in the page (no extra request, and it takes the
text colour). Icons are decoration: hidden from assistive technology, so the control that
holds one needs its own name (visible text or aria-label)."""

import re
import time
from datetime import UTC, datetime
from functools import lru_cache

from django import template
from django.contrib.staticfiles import finders
from django.utils.html import escape, json_script
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext, ngettext

register = template.Library()

_COMMENT = re.compile(r"<!--.*?-->", re.S)
_OPEN_TAG = re.compile(r"<svg\b[^>]*>", re.S)
_NAME = re.compile(r"^[a-z0-9-]+$")


@lru_cache(maxsize=128)
def _icon_body(name: str) -> str:
    """The inside of the vendored icon's <svg> element."""
    if not _NAME.match(name):
        raise ValueError(f"not an icon name: {name!r}")
    path = finders.find(f"vendor/icons/{name}.svg")
    if not path:
        raise ValueError(f"icon {name!r} is not vendored: add it to static/vendor.lock")
    with open(path, encoding="utf-8") as handle:
        text = _COMMENT.sub("", handle.read())
    return _OPEN_TAG.sub("", text, count=1).replace("</svg>", "").strip()


@register.simple_tag
def icon(name: str, size: int = 20, css_class: str = "") -> str:
    classes = f"icon {css_class}".strip()
    return mark_safe(  # noqa: S308 - the body is our vendored file; the rest is escaped
        f'<svg class="{escape(classes)}" width="{int(size)}" height="{int(size)}" '
        'viewBox="0 0 24 24" '
        'fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" '
        f'stroke-linejoin="round" aria-hidden="true" focusable="false">{_icon_body(name)}</svg>'
    )


# Relative dates: the largest unit that fits, as people read them on video sites.
_UNITS = (
    (365 * 24 * 3600, lambda n: ngettext("%(n)d year ago", "%(n)d years ago", n)),
    (30 * 24 * 3600, lambda n: ngettext("%(n)d month ago", "%(n)d months ago", n)),
    (7 * 24 * 3600, lambda n: ngettext("%(n)d week ago", "%(n)d weeks ago", n)),
    (24 * 3600, lambda n: ngettext("%(n)d day ago", "%(n)d days ago", n)),
    (3600, lambda n: ngettext("%(n)d hour ago", "%(n)d hours ago", n)),
    (60, lambda n: ngettext("%(n)d minute ago", "%(n)d minutes ago", n)),
)


def ago_text(epoch_s: float, now_s: float) -> str:
    elapsed = max(0, int(now_s - epoch_s))
    for size, phrase in _UNITS:
        if elapsed >= size:
            count = elapsed // size
            return phrase(count) % {"n": count}
    return gettext("just now")


@register.filter
def ago(epoch_s) -> str:
    """``<time>`` with the relative date ("3 days ago") and the exact one as its title."""
    if epoch_s in (None, ""):
        return ""
    moment = datetime.fromtimestamp(float(epoch_s), tz=UTC)
    text = ago_text(float(epoch_s), time.time())
    exact = moment.strftime("%Y-%m-%d %H:%M UTC")
    return mark_safe(  # noqa: S308 - only numbers and fixed words
        f'<time datetime="{moment.isoformat()}" title="{exact}">{escape(text)}</time>'
    )


@register.filter
def duration(seconds) -> str:
    """A video's length as players show it: 0:42, 12:05, 1:02:03."""
    if seconds in (None, ""):
        return ""
    total = max(0, int(round(float(seconds))))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def compact(number) -> str:
    """Counts as people read them: 999, 1.2K, 15K, 3.4M."""
    value = int(number or 0)
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "K")):
        if value >= size:
            scaled = value / size
            text = f"{scaled:.1f}".rstrip("0").rstrip(".") if scaled < 10 else f"{int(scaled)}"
            return f"{text}{suffix}"
    return str(value)


@register.filter
def here(request) -> str:
    """This page's path and query, for a ``next`` that comes back here; without its own
    ``next`` and ``intent`` (a log-in page's), which are not this page's to pass on."""
    query = request.GET.copy()
    for name in ("next", "intent"):
        query.pop(name, None)
    encoded = query.urlencode()
    return request.path + (f"?{encoded}" if encoded else "")


def _player_labels() -> dict:
    """The player's control names (Plyr's ``i18n`` keys) in the page's language."""
    return {
        "restart": gettext("Restart"),
        "rewind": gettext("Rewind {seektime}s"),
        "play": gettext("Play"),
        "pause": gettext("Pause"),
        "fastForward": gettext("Forward {seektime}s"),
        "seek": gettext("Seek"),
        "seekLabel": gettext("{currentTime} of {duration}"),
        "played": gettext("Played"),
        "buffered": gettext("Buffered"),
        "currentTime": gettext("Current time"),
        "duration": gettext("Duration"),
        "volume": gettext("Volume"),
        "mute": gettext("Mute"),
        "unmute": gettext("Unmute"),
        "enableCaptions": gettext("Turn captions on"),
        "disableCaptions": gettext("Turn captions off"),
        "enterFullscreen": gettext("Full screen"),
        "exitFullscreen": gettext("Exit full screen"),
        "captions": gettext("Captions"),
        "settings": gettext("Settings"),
        "pip": gettext("Picture in picture"),
        "menuBack": gettext("Back to the previous menu"),
        "speed": gettext("Speed"),
        "normal": gettext("Normal"),
        "quality": gettext("Quality"),
        "disabled": gettext("Off"),
        "enabled": gettext("On"),
    }


@register.simple_tag
def player_labels() -> str:
    """``<script type="application/json" id="player-labels">``: data, not code, so the
    CSP lets it be; player_ui.js reads it."""
    return _player_labels_script(get_language())


@lru_cache(maxsize=16)
def _player_labels_script(language: str) -> str:
    """Once per language: the labels are the same for every page."""
    return json_script(_player_labels(), "player-labels")
