"""What other apps do when something happens to a video or a stream.

The app that owns an item announces what happened to it ("video published", "stream
started"); apps that care register a reaction from their ``AppConfig.ready()``. The
owner never imports the apps that react, so no import circle ties them together, and
a reaction that fails raises to the caller (its work is retried by whatever retries
the caller) instead of being lost without a word.

Django signals would do the same job; this registry exists because a signal's
``send`` calls every receiver and ``send_robust`` swallows their errors, while a
reaction here must fail loudly and names its announcements in one place.
"""

import logging
from collections import defaultdict
from collections.abc import Callable

logger = logging.getLogger(__name__)

# The announcements apps make, and the keyword arguments each passes.
VIDEO_PUBLISHED = "video_published"  # video: the Video, newly public and ready
VIDEO_UNLISTED = "video_unlisted"  # video: the Video, out of public listings
STREAM_STARTED = "stream_started"  # session: the LivestreamSession, channel: its Channel
# Anything a viewer could find the item by, or whether they may find it, changed (an
# edit, a listing change, removal, a ban, deletion; a stream starting or ending).
VIDEO_CHANGED = "video_changed"  # video_id
CHANNEL_CHANGED = "channel_changed"  # channel_id
STREAM_CHANGED = "stream_changed"  # stream_id
# A count moved (a view, a like, a subscriber): announced for every change, so a
# reaction that is not cheap must thin them out itself.
COUNTED = "counted"  # subject: the tally subject (``video#<id>``, ``channel#<id>``)

KNOWN = frozenset(
    {
        VIDEO_PUBLISHED,
        VIDEO_UNLISTED,
        STREAM_STARTED,
        VIDEO_CHANGED,
        CHANNEL_CHANGED,
        STREAM_CHANGED,
        COUNTED,
    }
)

_reactions: dict[str, list[Callable]] = defaultdict(list)


def react(announcement: str, reaction: Callable) -> None:
    """Register ``reaction(**kwargs)`` for an announcement (once; again is a no-op)."""
    if announcement not in KNOWN:
        raise ValueError(f"Unknown announcement {announcement!r}")
    if reaction not in _reactions[announcement]:
        _reactions[announcement].append(reaction)


def announce(announcement: str, **kwargs) -> int:
    """Call every reaction registered for ``announcement``. Returns how many ran."""
    if announcement not in KNOWN:
        raise ValueError(f"Unknown announcement {announcement!r}")
    reactions = list(_reactions[announcement])
    for reaction in reactions:
        reaction(**kwargs)
    return len(reactions)


def reactions_to(announcement: str) -> list[Callable]:
    return list(_reactions[announcement])
