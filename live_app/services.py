"""Live sessions: create, rotate the key, authorize a publisher, apply stream events,
turn the recording into a replay video.

Every transition is conditional on the old status (created -> live -> ended, or
failed). IVS events arrive late, twice or out of order; a transition that does not
apply any more is simply ignored.
"""

import logging
from datetime import UTC, datetime

from django.conf import settings
from django.utils.translation import gettext as _
from pynamodb.exceptions import DeleteError, TransactWriteError, UpdateError

from channels_app.selectors import channel_get, user_get
from live_app import service_channels
from live_app.backends.base import LiveBackendError
from live_app.backends.loader import get_live_backend
from live_app.claims import channel_claim, channel_of, key_claim, session_by_claim
from live_app.models import (
    AWAITING_REPLAY,
    LIVE_NOW,
    LiveStatus,
    LivestreamSession,
    is_live_now,
    live_shard_of,
)
from live_app.selectors import session_after, session_on_channel_at
from videoplatform import reactions
from videoplatform.dynamodb import condition_failed, new_id, now_s, transaction
from videoplatform.errors import ApplicationError, PermissionDenied
from videoplatform.models import UniqueClaim
from videoplatform.text import clean_text
from videos_app import services as video_services

logger = logging.getLogger(__name__)

TITLE_MAX = 100


def require_owner(actor, session: LivestreamSession) -> None:
    # Owner only, not staff: the session page shows the stream key, a secret that lets
    # anyone holding it stream as the channel.
    if not getattr(actor, "is_authenticated", False) or actor.user_id != session.owner_user_id:
        raise PermissionDenied(_("This live session is not yours."))


def live_session_create(*, actor, channel_id: str, title: str) -> LivestreamSession:
    """ "Go live": a session for one of the actor's channels, with its ingest URL and key."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("Log in to go live."))
    if actor.is_banned:
        raise PermissionDenied(_("This account is suspended."))
    channel = channel_get(channel_id or "")
    if channel is None or channel.owner_user_id != actor.user_id:
        raise ApplicationError(_("Choose one of your channels."), field="channel_id")
    title = clean_text(title, field="title", label=_("Title"), max_length=TITLE_MAX, required=True)
    backend = get_live_backend()
    if backend.reuses_channels:
        _end_unless_broadcasting(service_channels.current_session(channel.channel_id))
        return service_channels.session_create_on_service_channel(
            channel=channel, owner_user_id=actor.user_id, title=title
        )
    stream_id = new_id()
    try:
        backend_channel = backend.create_channel(
            stream_id=stream_id, name=f"{channel.handle}-{stream_id}", private=False
        )
    except LiveBackendError as error:
        raise ApplicationError(
            _("The live service refused: %(reason)s") % {"reason": error.reason}
        ) from None
    session = LivestreamSession(
        stream_id,
        channel_id=channel.channel_id,
        owner_user_id=actor.user_id,
        title=title,
        status=str(LiveStatus.CREATED),
        stream_key=backend_channel.stream_key,
        stream_key_arn=backend_channel.stream_key_arn,
        ingest_url=backend_channel.ingest_url,
        channel_arn=backend_channel.channel_arn,
        playback_url=backend_channel.playback_url,
        created_at=now_s(),
    )
    with transaction() as tx:
        tx.save(session, condition=LivestreamSession.stream_id.does_not_exist())
        tx.save(
            UniqueClaim(key_claim(backend_channel.stream_key), owner_id=stream_id),
            condition=UniqueClaim.claim_id.does_not_exist(),
        )
        tx.save(
            UniqueClaim(channel_claim(backend_channel.channel_arn), owner_id=stream_id),
            condition=UniqueClaim.claim_id.does_not_exist(),
        )
    return session


def _end_unless_broadcasting(current: LivestreamSession | None) -> None:
    """The channel's previous session must be over before its IVS channel is reused: one
    still streaming refuses the go-live; one whose Stream End was lost is ended now."""
    if current is None or current.status not in (LiveStatus.CREATED, LiveStatus.LIVE):
        return
    try:
        broadcasting = get_live_backend().is_broadcasting(
            channel=channel_of(current), stream_id=current.stream_id
        )
    except LiveBackendError as error:
        raise ApplicationError(
            _("The live service refused: %(reason)s") % {"reason": error.reason}
        ) from None
    if broadcasting:
        raise ApplicationError(
            _("This channel is streaming now; stop that stream before going live again.")
        )
    if current.status == LiveStatus.LIVE:
        live_apply_stream_event(detail={"event_name": "Stream End"}, event=_event_for(current))


def live_rotate_key(*, actor, session: LivestreamSession) -> LivestreamSession:
    """Replace the stream key. Refused while live: stop the stream first (as IVS does)."""
    require_owner(actor, session)
    if session.status == LiveStatus.LIVE:
        raise ApplicationError(_("You are live: stop streaming before rotating the key."))
    if session.status != LiveStatus.CREATED:
        raise ApplicationError(_("This session has ended; create a new one to go live again."))
    old_key = session.stream_key
    if not old_key:
        raise ApplicationError(_("This session has no stream key; create a new one to go live."))
    try:
        new = get_live_backend().rotate_stream_key(channel=channel_of(session))
    except LiveBackendError as error:
        raise ApplicationError(
            _("The live service refused: %(reason)s") % {"reason": error.reason}
        ) from None
    try:
        with transaction() as tx:
            tx.update(
                session,
                actions=[
                    LivestreamSession.stream_key.set(new.stream_key),
                    LivestreamSession.stream_key_arn.set(new.stream_key_arn)
                    if new.stream_key_arn
                    else LivestreamSession.stream_key_arn.remove(),
                ],
                condition=(LivestreamSession.status == str(LiveStatus.CREATED))
                & (LivestreamSession.stream_key == old_key),
            )
            tx.delete(
                UniqueClaim(key_claim(old_key)), condition=UniqueClaim.owner_id == session.stream_id
            )
            tx.save(
                UniqueClaim(key_claim(new.stream_key), owner_id=session.stream_id),
                condition=UniqueClaim.claim_id.does_not_exist(),
            )
    except TransactWriteError as error:
        if condition_failed(error):
            raise ApplicationError(
                _("The session changed meanwhile (did it go live?). Reload the page.")
            ) from None
        raise
    session.refresh(consistent_read=True)
    return session


def session_by_key(stream_key: str) -> LivestreamSession | None:
    if not stream_key or len(stream_key) > 200:
        return None
    return session_by_claim(key_claim(stream_key))


def session_by_channel_arn(channel_arn: str) -> LivestreamSession | None:
    """The channel's current session (on IVS, the newest go-live of a reused channel)."""
    if not channel_arn:
        return None
    return session_by_claim(channel_claim(channel_arn))


def live_authorize_publish(*, stream_key: str) -> LivestreamSession:
    """May an encoder publish with this key? Only a session still waiting for its stream."""
    session = session_by_key(stream_key)
    if session is None:
        raise PermissionDenied("Unknown stream key.")
    owner = user_get(session.owner_user_id)
    if owner is None or owner.is_banned:
        raise PermissionDenied("This account is suspended.")
    if session.status == LiveStatus.LIVE:
        raise PermissionDenied("This session is already live (a publisher is connected).")
    if session.status != LiveStatus.CREATED:
        raise PermissionDenied("This session has ended.")
    return session


def _transition(session: LivestreamSession, *, from_statuses, actions) -> bool:
    try:
        session.update(
            actions=actions,
            condition=LivestreamSession.status.is_in(*[str(s) for s in from_statuses]),
        )
    except UpdateError as error:
        if condition_failed(error):
            return False
        raise
    reactions.announce(reactions.STREAM_CHANGED, stream_id=session.stream_id)
    return True


def _session_for_event(event: dict, *, began_s_before: float = 0) -> LivestreamSession | None:
    """The session an event is about: the channel's current one, unless what the event
    reports began before that session existed. An IVS channel serves one session after
    another, and events can be hours late, so a late event of an earlier session is
    applied to that session (where a transition that no longer applies is ignored),
    never to the current one."""
    resources = event.get("resources") or []
    arn = resources[0] if resources and isinstance(resources[0], str) else None
    session = session_by_channel_arn(arn) if arn else None
    happened = _event_time(event)
    if session is None or happened is None:
        return session
    began = happened - began_s_before
    if began >= session.created_at:
        return session
    # None earlier on this channel: the current session's own (a clock or duration off).
    earlier = session_on_channel_at(channel_id=session.channel_id, channel_arn=arn, at=began)
    return earlier or session


def _event_time(event: dict) -> float | None:
    try:
        return datetime.fromisoformat(str(event["time"])).timestamp()
    except (KeyError, ValueError):
        return None


def live_apply_stream_event(*, detail: dict, event: dict) -> bool:
    """ "IVS Stream State Change": Stream Start / Stream End / Stream Failure."""
    session = _session_for_event(event)
    if session is None:
        logger.info("stream event for an unknown channel ignored")
        return False
    name = detail.get("event_name")
    now = now_s()
    if name == "Stream Start":
        started = _transition(
            session,
            from_statuses=[LiveStatus.CREATED],
            actions=[
                LivestreamSession.status.set(str(LiveStatus.LIVE)),
                LivestreamSession.started_at.set(now),
                *_live_index_actions(session, LIVE_NOW, now),
            ],
        )
        if started:
            _announce_live(session)
        return started
    if name == "Stream End":
        # From created too: the Start event may arrive after the End, or never.
        return _transition(
            session,
            from_statuses=[LiveStatus.CREATED, LiveStatus.LIVE],
            actions=[
                LivestreamSession.status.set(str(LiveStatus.ENDED)),
                LivestreamSession.ended_at.set(now),
                *_live_index_actions(session, AWAITING_REPLAY, now),
            ],
        )
    if name == "Stream Failure":
        return _transition(
            session,
            from_statuses=[LiveStatus.CREATED, LiveStatus.LIVE],
            actions=[
                LivestreamSession.status.set(str(LiveStatus.FAILED)),
                LivestreamSession.ended_at.set(now),
                *_live_index_actions(session, AWAITING_REPLAY, now),
            ],
        )
    return False


def live_session_stopped(session: LivestreamSession) -> bool:
    """The owner ended the session after its broadcast was stopped (live_app.ending):
    ended as by Stream End, conditional on the status it was read with; a live one waits
    in the live-index for its replay. False when that status changed meanwhile."""
    now, was_live = now_s(), session.status == LiveStatus.LIVE
    return _transition(
        session,
        from_statuses=[session.status],
        actions=[
            LivestreamSession.status.set(str(LiveStatus.ENDED)),
            LivestreamSession.ended_at.set(now),
            *_live_index_actions(session, AWAITING_REPLAY if was_live else None, now),
        ],
    )


def _live_index_actions(
    session: LivestreamSession, name: str | None, since: int | None = None
) -> list:
    if name is None:
        return [LivestreamSession.live_partition.remove(), LivestreamSession.live_since.remove()]
    return [
        LivestreamSession.live_partition.set(live_shard_of(name, session.stream_id)),
        LivestreamSession.live_since.set(since),
    ]


def _event_for(session: LivestreamSession) -> dict:
    # What the event handlers read of an envelope: the channel, and a time in this
    # session's life, so a reused channel's event reaches this session, not the newest.
    at = datetime.fromtimestamp(session.created_at, tz=UTC)
    return {"resources": [session.channel_arn], "time": at.strftime("%Y-%m-%dT%H:%M:%SZ")}


def live_reconcile(*, session: LivestreamSession, now: int, dry_run: bool = False) -> str:
    """Settle one session of the live-index from the live service itself, because its
    events can be lost: a live session nobody streams to any more is ended, and an
    ended session whose Recording End never came gets its replay from the recording
    found in storage (or, after LIVE_REPLAY_WAIT_S, is given up on)."""
    backend = get_live_backend()
    if is_live_now(session):
        if session.status != LiveStatus.LIVE:
            if not dry_run:
                _transition_index(session, None)
            return "left the live index: not live"
        if (session.started_at or now) > now - settings.LIVE_QUIET_AFTER_S:
            return "live: just started"
        if backend.is_broadcasting(channel=channel_of(session), stream_id=session.stream_id):
            return "live: still broadcasting"
        if not dry_run:
            live_apply_stream_event(detail={"event_name": "Stream End"}, event=_event_for(session))
        return "ended: nothing is broadcasting"
    if session.replay_video_id:
        if not dry_run:
            _transition_index(session, None)
        return "done: the replay exists"
    found = backend.find_recording(
        channel=channel_of(session),
        stream_id=session.stream_id,
        since=session.started_at or 0,
        until=_next_session_created(session) if backend.reuses_channels else None,
    )
    if found is not None:
        if not dry_run:
            live_apply_recording_event(
                detail={
                    "recording_status": "Recording End",
                    "recording_s3_bucket_name": found.bucket,
                    "recording_s3_key_prefix": found.prefix,
                },
                event=_event_for(session),
            )
            _transition_index(session, None)
        return "replay made from the recording in storage"
    if (session.live_since or now) < now - settings.LIVE_REPLAY_WAIT_S:
        if not dry_run:
            _transition_index(session, None)
        return "given up: no recording was found"
    return "waiting for the recording"


def _next_session_created(session: LivestreamSession) -> int | None:
    later = session_after(
        channel_id=session.channel_id,
        channel_arn=session.channel_arn,
        created_at=session.created_at,
    )
    return later.created_at if later else None


def _transition_index(session: LivestreamSession, partition: str | None) -> None:
    session.update(actions=_live_index_actions(session, partition))


def _announce_live(session: LivestreamSession) -> None:
    # Subscribers are told by a fan-out job, not here: this runs inside the event
    # webhook, which must answer within seconds whatever the channel's size.
    channel = channel_get(session.channel_id)
    if channel is not None:
        reactions.announce(reactions.STREAM_STARTED, session=session, channel=channel)


def live_apply_recording_event(*, detail: dict, event: dict) -> bool:
    """ "IVS Recording State Change": on Recording End the recording becomes a replay video."""
    if detail.get("recording_status") != "Recording End":
        return False
    # A recording begins when its stream does: its duration dates it back to its session.
    duration_ms = detail.get("recording_duration_ms")
    recorded_s = duration_ms / 1000 if isinstance(duration_ms, int | float) else 0
    session = _session_for_event(event, began_s_before=max(0, recorded_s))
    if session is None:
        logger.info("recording event for an unknown channel ignored")
        return False
    if session.replay_video_id:
        return False  # a replay already exists for this session
    bucket = detail.get("recording_s3_bucket_name")
    prefix = (detail.get("recording_s3_key_prefix") or "").strip("/")
    if not bucket or not prefix or ".." in prefix.split("/"):
        return False
    owner = user_get(session.owner_user_id)
    video, created = video_services.video_create_replay(
        stream_id=session.stream_id,
        channel_id=session.channel_id,
        owner_user_id=session.owner_user_id,
        title=session.title,
        bucket=bucket,
        prefix=prefix,
        duration_s=round((detail.get("recording_duration_ms") or 0) / 1000, 3) or None,
        owner_banned=owner is None or owner.is_banned,
    )
    try:
        session.update(
            actions=[LivestreamSession.replay_video_id.set(video.video_id)],
            condition=LivestreamSession.replay_video_id.does_not_exist(),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
    return created


def live_sessions_end_for_owner(*, owner_user_id: str) -> int:
    """A banned owner's sessions that have not ended are ended now: the stream stopped
    and its key revoked with the live service, the key's claim deleted (the local
    ingest refuses it at connect), and a live one left waiting for its replay, which is
    made hidden. Returns how many were ended."""
    ended = 0
    open_statuses = [str(LiveStatus.CREATED), str(LiveStatus.LIVE)]
    for session in LivestreamSession.owner_index.query(
        owner_user_id, filter_condition=LivestreamSession.status.is_in(*open_statuses)
    ):
        try:
            get_live_backend().revoke_stream_key(channel=channel_of(session))
        except LiveBackendError as error:
            # The session still ends here and every later publish is refused by the app;
            # the moderator sees the service's refusal in the log.
            logger.warning("could not revoke the key of %s: %s", session.stream_id, error.reason)
        was_live = session.status == LiveStatus.LIVE
        moved = _transition(
            session,
            from_statuses=[LiveStatus.CREATED, LiveStatus.LIVE],
            actions=[
                LivestreamSession.status.set(str(LiveStatus.ENDED)),
                LivestreamSession.ended_at.set(now_s()),
                *_live_index_actions(session, AWAITING_REPLAY if was_live else None, now_s()),
            ],
        )
        if session.stream_key:
            try:
                UniqueClaim(key_claim(session.stream_key)).delete(
                    condition=UniqueClaim.owner_id == session.stream_id
                )
            except DeleteError as error:
                if not condition_failed(error):
                    raise
        ended += int(moved)
    return ended
