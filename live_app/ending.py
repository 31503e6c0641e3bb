"""The owner's "End stream": stop the broadcast with the live service, then end the
session (``live_app.services`` writes it).

The session ends at once, so the studio and the live page say so on the next request;
what the live service reports afterwards (nginx's publish_done, IVS's Stream End) finds
it ended and changes nothing, and the recording still becomes the replay as after any
stream. A session waiting for its stream can be ended too (nothing was broadcast).
"""

import logging

from django.utils.translation import gettext

from live_app import services
from live_app.backends.base import LiveBackendError
from live_app.backends.loader import get_live_backend
from live_app.claims import channel_of
from live_app.models import LiveStatus, LivestreamSession
from videoplatform.errors import ApplicationError

logger = logging.getLogger(__name__)

OPEN = (LiveStatus.CREATED, LiveStatus.LIVE)
# The session may go live between reading it and ending it: then once more.
ATTEMPTS = 2


def live_session_end(*, actor, session: LivestreamSession) -> LivestreamSession:
    """End the actor's own session while it waits for its stream or is live; returns it
    ended. Refused, with a message saying why, for any other session."""
    services.require_owner(actor, session)
    for _ in range(ATTEMPTS):
        _require_open(session)
        _stop_broadcast(session)
        if services.live_session_stopped(session):
            break
        session.refresh(consistent_read=True)
    else:
        raise ApplicationError(
            gettext("The session changed meanwhile. Reload the page and try again.")
        )
    session.refresh(consistent_read=True)
    return session


def _require_open(session: LivestreamSession) -> None:
    if session.status == LiveStatus.FAILED:
        raise ApplicationError(gettext("This stream failed; there is nothing to end."))
    if session.status not in OPEN:
        raise ApplicationError(gettext("This stream has already ended."))


def _stop_broadcast(session: LivestreamSession) -> None:
    backend = get_live_backend()
    if backend.reuses_channels and not _holds_channel(session):
        return  # the channel serves a newer session now: its stream is not this one's
    try:
        backend.stop_stream(channel=channel_of(session), stream_id=session.stream_id)
    except LiveBackendError as error:
        if session.status == LiveStatus.LIVE:
            raise ApplicationError(
                gettext("Could not stop the stream: %(reason)s") % {"reason": error.reason}
            ) from None
        # Nothing was live; an ended session's publisher is refused or ignored by the app.
        logger.warning("could not stop %s with the live service: %s", session.stream_id, error)


def _holds_channel(session: LivestreamSession) -> bool:
    current = services.session_by_channel_arn(session.channel_arn or "")
    return current is not None and current.stream_id == session.stream_id
