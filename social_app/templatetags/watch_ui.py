"""Filters for the watch page and its comments: an author's initial and avatar colour,
and whether a description is long enough to be folded."""

import zlib

from django import template

register = template.Library()

# How many avatar colours watch.css defines (.avatar-tone-0 .. .avatar-tone-7).
AVATAR_TONES = 8
# A description longer than this, or with more lines, is folded to three lines.
FOLD_CHARS = 240
FOLD_LINES = 3


@register.filter
def initial(name) -> str:
    """The first letter of a name, upper case ("?" for none)."""
    text = str(name or "").strip()
    return text[:1].upper() or "?"


@register.filter
def avatar_tone(name) -> int:
    """A colour index that stays the same for a name in every process."""
    return zlib.crc32(str(name or "").encode("utf-8")) % AVATAR_TONES


@register.filter
def folds(text) -> bool:
    """Whether a description is long enough to show folded with "Show more"."""
    text = str(text or "")
    return len(text) > FOLD_CHARS or text.count("\n") >= FOLD_LINES
