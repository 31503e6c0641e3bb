"""Studio live pages (owner only) and the public live page."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from channels_app.auth.sessions import login_required
from channels_app.selectors import channels_for_owner
from live_app import ending, selectors, services
from live_app.forms import GoLiveForm
from live_app.ingest import live_prefix
from live_app.live_page import channel_context, state_context
from live_app.models import LiveStatus
from videoplatform.errors import ApplicationError
from videoplatform.http import form_error
from videos_app import playback


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
        raise Http404(_("No such live session."))
    services.require_owner(request.user, session)
    return session


@login_required
@require_safe
def studio_live_session(request, stream_id: str):
    """The owner's view of a session: while it waits, the ingest URL and stream key
    (secret); while live, a preview; End stream."""
    session = _owned_session(request, stream_id)
    response = render(request, "live_app/studio_live_session.html", state_context(request, session))
    response["Cache-Control"] = "no-store"  # the page shows a secret
    return response


@login_required
@require_safe
def studio_live_state(request, stream_id: str):
    """htmx poll of the studio page: 204 while the state is unchanged."""
    session = _owned_session(request, stream_id)
    context = state_context(request, session)
    if request.GET.get("state") == context["state"]:
        return HttpResponse(status=204)
    response = render(request, "live_app/_studio_state.html", context)
    response["Cache-Control"] = "no-store"  # it shows the key while the session waits
    return response


@login_required
@require_POST
def end_stream(request, stream_id: str):
    """ "End stream": stop the broadcast and end the session."""
    session = _owned_session(request, stream_id)
    try:
        session = ending.live_session_end(actor=request.user, session=session)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Stream ended; the replay is being prepared.")
            if session.started_at
            else _("Stream ended. Nothing was streamed, so there is no replay."),
        )
    return redirect("studio_live_session", stream_id=stream_id)


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
        messages.success(request, _("New stream key created; the old one no longer works."))
    return redirect("studio_live_session", stream_id=stream_id)


@require_safe
def live_page(request, stream_id: str):
    """The live page: offline, the player while live, ended (with the replay)."""
    session = selectors.session_get(stream_id)
    if session is None:
        raise Http404(_("No such live stream."))
    context = state_context(request, session)
    context.update(channel_context(request, session.channel_id))
    return render(request, "live_app/live.html", context)


@require_safe
def live_state(request, stream_id: str):
    """htmx poll: 204 while the state is unchanged (the player keeps playing)."""
    session = selectors.session_get(stream_id, consistent=True)
    if session is None:
        raise Http404
    context = state_context(request, session)
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
