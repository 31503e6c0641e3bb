"""One channel on the live service (IVS) per channel of ours, kept for its life.

The first go-live of a channel creates its IVS channel and records it in a UniqueClaim
``ivschannel#<channel id>`` in the same transaction as the session; later go-lives reuse
it with a new stream key. ``livechannel#<ARN>`` always names the channel's CURRENT
session, which is what AWS events (naming only the ARN) are applied to. Called by
``live_app.services``, which checks who may go live and ends a stale live session first.
"""

import logging

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pynamodb.exceptions import TransactWriteError

from live_app.backends.base import LiveBackend, LiveBackendError, LiveChannel
from live_app.backends.loader import get_live_backend
from live_app.claims import (
    channel_claim,
    channel_of,
    key_claim,
    service_channel_arn,
    service_channel_claim,
    session_by_claim,
)
from live_app.models import LiveStatus, LivestreamSession
from videoplatform.dynamodb import condition_failed, new_id, now_s, transaction
from videoplatform.errors import ApplicationError
from videoplatform.models import UniqueClaim

logger = logging.getLogger(__name__)

RACED = gettext_lazy("Another go-live on this channel is under way; reload the page and try again.")


def current_session(channel_id: str) -> LivestreamSession | None:
    """The session the channel's IVS channel serves now (the newest go-live)."""
    arn = service_channel_arn(channel_id)
    return session_by_claim(channel_claim(arn)) if arn else None


def session_create_on_service_channel(*, channel, owner_user_id: str, title: str):
    """A new session on the channel's own IVS channel, made on its first go-live."""
    backend = get_live_backend()
    arn = service_channel_arn(channel.channel_id)
    if arn is None:
        return _first_session(backend, channel=channel, owner_user_id=owner_user_id, title=title)
    previous = session_by_claim(channel_claim(arn))
    if previous is None:
        raise ApplicationError(_("This channel's live setup is incomplete; ask an administrator."))
    return _next_session(backend, previous=previous, owner_user_id=owner_user_id, title=title)


def _new_session(*, stream_id, channel_id, owner_user_id, title, live: LiveChannel):
    return LivestreamSession(
        stream_id,
        channel_id=channel_id,
        owner_user_id=owner_user_id,
        title=title,
        status=str(LiveStatus.CREATED),
        stream_key=live.stream_key or None,
        stream_key_arn=live.stream_key_arn,
        ingest_url=live.ingest_url,
        channel_arn=live.channel_arn,
        playback_url=live.playback_url,
        created_at=now_s(),
    )


def _first_session(backend: LiveBackend, *, channel, owner_user_id: str, title: str):
    stream_id = new_id()
    try:
        made = backend.create_channel(
            stream_id=stream_id, name=channel.handle, private=False, channel_id=channel.channel_id
        )
    except LiveBackendError as error:
        raise ApplicationError(
            _("The live service refused: %(reason)s") % {"reason": error.reason}
        ) from None
    session = _new_session(
        stream_id=stream_id,
        channel_id=channel.channel_id,
        owner_user_id=owner_user_id,
        title=title,
        live=made,
    )
    try:
        with transaction() as tx:
            tx.save(session, condition=LivestreamSession.stream_id.does_not_exist())
            for claim_id, owner_id in (
                (key_claim(made.stream_key), stream_id),
                (channel_claim(made.channel_arn), stream_id),
                (service_channel_claim(channel.channel_id), made.channel_arn),
            ):
                tx.save(
                    UniqueClaim(claim_id, owner_id=owner_id),
                    condition=UniqueClaim.claim_id.does_not_exist(),
                )
    except TransactWriteError as error:
        # A go-live racing this one recorded its IVS channel first: ours is not kept.
        _delete_quietly(backend, made)
        if condition_failed(error):
            raise ApplicationError(str(RACED)) from None
        raise
    return session


def _next_session(backend: LiveBackend, *, previous, owner_user_id: str, title: str):
    """Take the channel for a new session, then give it a new key.

    The claim moves first, conditional on still naming the previous session, so of two
    go-lives at once only one reaches IVS; a previous session still waiting for its
    stream is ended by the same transaction (its key dies below).
    """
    stream_id = new_id()
    live = channel_of(previous)
    session = _new_session(
        stream_id=stream_id,
        channel_id=previous.channel_id,
        owner_user_id=owner_user_id,
        title=title,
        live=LiveChannel(
            channel_arn=live.channel_arn,
            ingest_url=live.ingest_url,
            stream_key="",
            playback_url=live.playback_url,
        ),
    )
    try:
        with transaction() as tx:
            tx.save(session, condition=LivestreamSession.stream_id.does_not_exist())
            tx.update(
                UniqueClaim(channel_claim(live.channel_arn)),
                actions=[UniqueClaim.owner_id.set(stream_id)],
                condition=UniqueClaim.owner_id == previous.stream_id,
            )
            if previous.status == LiveStatus.CREATED:
                tx.update(
                    previous,
                    actions=[
                        LivestreamSession.status.set(str(LiveStatus.ENDED)),
                        LivestreamSession.ended_at.set(now_s()),
                    ],
                    condition=LivestreamSession.status == str(LiveStatus.CREATED),
                )
            if previous.stream_key:
                tx.delete(
                    UniqueClaim(key_claim(previous.stream_key)),
                    condition=UniqueClaim.claim_id.does_not_exist()
                    | (UniqueClaim.owner_id == previous.stream_id),
                )
    except TransactWriteError as error:
        if condition_failed(error):
            raise ApplicationError(str(RACED)) from None
        raise

    try:
        keyed = backend.renew_stream_key(channel=live)
    except LiveBackendError as error:
        _fail(session)
        raise ApplicationError(
            _("The live service refused: %(reason)s") % {"reason": error.reason}
        ) from None
    try:
        with transaction() as tx:
            tx.update(
                session,
                actions=[
                    LivestreamSession.stream_key.set(keyed.stream_key),
                    LivestreamSession.stream_key_arn.set(keyed.stream_key_arn),
                ],
                condition=(LivestreamSession.status == str(LiveStatus.CREATED))
                & LivestreamSession.stream_key.does_not_exist(),
            )
            tx.save(
                UniqueClaim(key_claim(keyed.stream_key), owner_id=stream_id),
                condition=UniqueClaim.claim_id.does_not_exist(),
            )
    except TransactWriteError as error:
        if condition_failed(error):
            raise ApplicationError(str(RACED)) from None
        raise
    session.refresh(consistent_read=True)
    return session


def _fail(session: LivestreamSession) -> None:
    # The session holds the channel but never got a key; the next go-live takes over.
    session.update(
        actions=[
            LivestreamSession.status.set(str(LiveStatus.FAILED)),
            LivestreamSession.ended_at.set(now_s()),
        ],
        condition=LivestreamSession.status == str(LiveStatus.CREATED),
    )


def _delete_quietly(backend: LiveBackend, live: LiveChannel) -> None:
    try:
        backend.delete_channel(channel=live)
    except LiveBackendError as error:
        logger.warning("an unused IVS channel was left behind: %s", error.reason)


def service_channel_delete(*, channel_id: str, dry_run: bool = False) -> str:
    """Delete the IVS channel of a channel of ours (when the channel goes away, or to
    release it). Refused while it is live. Its last session keeps its ``livechannel#``
    claim, so that session's late recording event still makes its replay. Returns what
    was (or, with dry_run, would be) done."""
    arn = service_channel_arn(channel_id)
    if arn is None:
        return "no IVS channel"
    current = session_by_claim(channel_claim(arn))
    if current is not None and current.status == LiveStatus.LIVE:
        raise ApplicationError(_("The channel is live now; stop the stream before deleting it."))
    if dry_run:
        return f"would delete {arn}"
    try:
        get_live_backend().delete_channel(
            channel=LiveChannel(channel_arn=arn, ingest_url="", stream_key="", playback_url=None)
        )
    except LiveBackendError as error:
        raise ApplicationError(
            _("The live service refused: %(reason)s") % {"reason": error.reason}
        ) from None
    try:
        with transaction() as tx:
            tx.delete(
                UniqueClaim(service_channel_claim(channel_id)),
                condition=UniqueClaim.owner_id == arn,
            )
            if current is not None and current.status == LiveStatus.CREATED:
                tx.update(
                    current,
                    actions=[
                        LivestreamSession.status.set(str(LiveStatus.ENDED)),
                        LivestreamSession.ended_at.set(now_s()),
                    ],
                    condition=LivestreamSession.status == str(LiveStatus.CREATED),
                )
    except TransactWriteError as error:
        if condition_failed(error):
            raise ApplicationError(_("The channel changed meanwhile; try again.")) from None
        raise
    return f"deleted {arn}"
