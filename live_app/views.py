"""Studio live pages (owner only) and the public live page."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from channels_app.auth.sessions import login_required
from channels_app.selectors import channel_get, channels_for_owner
from live_app import selectors, services
from live_app.backends.loader import get_live_backend
from live_app.forms import GoLiveForm
from live_app.ingest import live_prefix
from live_app.models import LiveStatus
from videoplatform.errors import ApplicationError
from videoplatform.http import form_error
from videos_app import playback
from videos_app.models import VideoStatus
from videos_app.selectors import video_get


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def studio_live(request):
    """ "Go live": create a session; list your sessions."""
    channels = channels_for_owner(request.user.user_id)
    form = GoLiveForm(request.POST or None, channels=channels)
    if request.method == "POST" and form.is_valid():
        try:
            session = services.live_session_create(actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            form_error(request, form, error)
        else:
            return redirect("studio_live_session", stream_id=session.stream_id)
    sessions = selectors.sessions_for_owner(request.user.user_id, cursor=request.GET.get("after"))
    return render(
        request,
        "live_app/studio_live.html",
        {"form": form, "channels": channels, "sessions": sessions},
    )


def _owned_session(request, stream_id: str):
    session = selectors.session_get(stream_id, consistent=True)
    if session is None:
        raise Http404("No such live session.")
    services.require_owner(request.user, session)
    return session


@login_required
@require_safe
def studio_live_session(request, stream_id: str):
    """The owner's view of a session: ingest URL and stream key (secret)."""
    session = _owned_session(request, stream_id)
    response = render(request, "live_app/studio_live_session.html", {"session": session})
    response["Cache-Control"] = "no-store"  # the page shows a secret
    return response


@login_required
@require_POST
def rotate_key(request, stream_id: str):
    """Replace the stream key (not while live)."""
    session = _owned_session(request, stream_id)
    try:
        services.live_rotate_key(actor=request.user, session=session)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "New stream key created; the old one no longer works.")
    return redirect("studio_live_session", stream_id=stream_id)


def _state(session) -> str:
    if session.status == LiveStatus.ENDED and session.replay_video_id:
        replay = video_get(session.replay_video_id)
        if replay is not None and replay.status == VideoStatus.READY:
            return "replay"
    return session.status


def _live_context(request, session):
    backend = get_live_backend()
    state = _state(session)
    context = {"session": session, "state": state, "player": backend.player, "playback_url": None}
    if state == LiveStatus.LIVE:
        context["playback_url"] = backend.playback_url(
            channel=services.channel_of(session),
            private=False,
            viewer_id=request.user.user_id if request.user.is_authenticated else None,
        )
    return context


@require_safe
def live_page(request, stream_id: str):
    """The live page: offline, the player while live, ended (with the replay)."""
    session = selectors.session_get(stream_id)
    if session is None:
        raise Http404("No such live stream.")
    context = _live_context(request, session)
    context["channel"] = channel_get(session.channel_id)
    return render(request, "live_app/live.html", context)


@require_safe
def live_state(request, stream_id: str):
    """htmx poll: 204 while the state is unchanged (the player keeps playing)."""
    session = selectors.session_get(stream_id, consistent=True)
    if session is None:
        raise Http404
    context = _live_context(request, session)
    if request.GET.get("state") == context["state"]:
        return HttpResponse(status=204)
    return render(request, "live_app/_live_state.html", context)


@require_safe
def live_playlist(request, stream_id: str, name: str):
    """The live HLS playlist with signed segment URIs (local backend)."""
    session = selectors.session_get(stream_id)
    if (
        session is None
        or session.status not in {LiveStatus.LIVE, LiveStatus.ENDED}
        or name != "index.m3u8"
    ):
        raise Http404
    # Checked on every request; the signed text is shared for a second (about half a
    # segment), so many viewers cost one signing a second.
    return playback.live_playlist_response(request, live_prefix(stream_id) + name)
