"""What the live page and the studio's session page show: the state of the stream with
its player, and on the live page the channel with the viewer's Subscribe button.

The channel and its counts come from this process's memory while fresh (as on the
watch page), so the channel block costs a page view nothing in steady state; a
signed-in viewer's subscription is one GetItem.
"""

from channels_app.selectors import channels_by_id
from live_app.backends.loader import get_live_backend
from live_app.claims import channel_of
from live_app.models import LiveStatus, LivestreamSession
from social_app.selectors import subscription_get
from videoplatform.storage import media_url
from videoplatform.tallies import channel_subject, counts_shared
from videos_app.models import VideoStatus
from videos_app.selectors import video_get


def state_of(session: LivestreamSession) -> str:
    """The session's status, or "replay" once an ended session's replay is ready."""
    if session.status == LiveStatus.ENDED and session.replay_video_id:
        replay = video_get(session.replay_video_id)
        if replay is not None and replay.status == VideoStatus.READY:
            return "replay"
    return session.status


def state_context(request, session: LivestreamSession) -> dict:
    """The player's inputs (``_live_state.html``, the studio's preview)."""
    backend = get_live_backend()
    state = state_of(session)
    context = {"session": session, "state": state, "player": backend.player, "playback_url": None}
    if state == LiveStatus.LIVE:
        context["playback_url"] = backend.playback_url(
            channel=channel_of(session),
            private=False,
            viewer_id=request.user.user_id if request.user.is_authenticated else None,
        )
    return context


def channel_context(request, channel_id: str) -> dict:
    """The channel block: the channel with its counts, its avatar, and how the viewer
    sees the Subscribe button (``own``: just the count; ``anonymous``: a log-in link)."""
    channel = channels_by_id([channel_id]).get(channel_id)
    if channel is None:
        return {"channel": None}
    subject = channel_subject(channel_id)
    channel.counts = counts_shared([subject])[subject]
    user = request.user
    signed_in = getattr(user, "is_authenticated", False)
    own = signed_in and user.user_id == channel.owner_user_id
    subscription = None
    if signed_in and not own:
        subscription = subscription_get(user=user, channel_id=channel_id)
    return {
        "channel": channel,
        "channel_avatar_url": media_url(channel.avatar_key),
        "own": own,
        "anonymous": not signed_in,
        "subscribed": subscription is not None,
        "notify": subscription.notify if subscription else None,
        "subscriber_count": channel.subscriber_count,
    }
