"""Home page, upload dashboard, studio video list, watch page and playlists."""

import logging
import re
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from channels_app.auth.sessions import login_required
from channels_app.selectors import channels_for_owner
from live_app.shelf import live_shelf
from social_app import staff_actions
from social_app.comment_fragments import viewer_kind
from social_app.selectors import comments_page, watch_state
from videoplatform.errors import ApplicationError, NotFound
from videoplatform.http import error_page, form_error
from videoplatform.middleware import is_dependency_down
from videoplatform.storage import media_url
from videos_app import permissions, playback, selectors, services
from videos_app.cards import video_grid
from videos_app.forms import UploadForm, VideoEditForm
from videos_app.models import FINAL_STATUSES, VideoStatus
from videos_app.watch_page import WatchInputs, watch_main

logger = logging.getLogger(__name__)

STORAGE_UNAVAILABLE = gettext_lazy(
    "Storage is unavailable right now. Please try again in a minute."
)


def json_when_storage_down(view):
    """The upload script's POSTs get a JSON 503 it can show, not the HTML 503 page
    (which it could only report as "Something went wrong")."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except Exception as error:
            if request.method != "POST" or not is_dependency_down(error):
                raise
            logger.warning("storage unavailable while serving %s", request.path)
            return JsonResponse({"error": str(STORAGE_UNAVAILABLE)}, status=503)

    return wrapper


def home(request):
    """Streams live now (on the first page) and the latest public videos."""
    cursor = request.GET.get("after")
    page = selectors.public_feed(cursor=cursor)
    return render(
        request,
        "videos_app/home.html",
        {"page": page, "grid": video_grid(page), "live_shelf": "" if cursor else live_shelf()},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@json_when_storage_down
def upload(request):
    """The upload dashboard. POST (from the page's script) creates the video and
    answers with a presigned POST the browser sends the file to."""
    channels = channels_for_owner(request.user.user_id)
    form = UploadForm(request.POST or None, channels=channels)
    if request.method == "POST":
        if not form.is_valid():
            first = next(iter(form.errors.values()))[0]
            return JsonResponse({"error": first, "fields": form.errors}, status=400)
        data = form.cleaned_data
        try:
            video, post = services.video_create_upload(
                actor=request.user,
                channel_id=data["channel_id"],
                title=data["title"],
                description=data["description"],
                visibility=data["visibility"],
                content_type=data["content_type"],
                size=data["size"] or 0,
            )
        except ApplicationError as error:
            return JsonResponse(
                {"error": error.message, "field": error.field}, status=error.status_code
            )
        answer = {
            "video_id": video.video_id,
            "complete_url": reverse("video_uploaded", args=[video.video_id]),
            "cancel_url": reverse("video_cancel", args=[video.video_id]),
            "studio_url": reverse("studio_videos"),
        }
        if isinstance(post, services.MultipartUpload):
            answer["multipart"] = {
                "part_bytes": post.part_bytes,
                "parts": post.parts,
                "parts_url": reverse("video_upload_parts", args=[video.video_id]),
                "urls_per_request": services.PART_URLS_PER_REQUEST,
            }
        else:
            answer["upload"] = {"url": post.url, "fields": post.fields}
        return JsonResponse(answer)
    return render(
        request,
        "videos_app/upload.html",
        {"form": form, "channels": channels, "max_bytes": settings.VIDEO_MAX_BYTES},
    )


def _managed_video(request, video_id):
    try:
        return selectors.video_for_manager(video_id, user=request.user)
    except NotFound:
        raise Http404(_("No such video.")) from None


@login_required
@require_POST
@json_when_storage_down
def video_uploaded(request, video_id: str):
    """The browser finished the upload: verify it and start transcoding."""
    try:
        video = _managed_video(request, video_id)
        video = services.video_mark_uploaded(actor=request.user, video=video)
    except ApplicationError as error:
        return JsonResponse({"error": error.message}, status=error.status_code)
    return JsonResponse({"status": video.status, "studio_url": reverse("studio_videos")})


@login_required
@require_POST
@json_when_storage_down
def video_upload_parts(request, video_id: str):
    """For a multipart upload: signed URLs for the parts named in `numbers` (comma
    separated, may be empty) and the parts already stored, so an upload can resume."""
    raw = request.POST.get("numbers", "").strip()
    if raw and not re.fullmatch(r"\d{1,5}(,\d{1,5}){0,99}", raw):
        return JsonResponse({"error": _("Part numbers are comma-separated numbers.")}, status=400)
    numbers = [int(n) for n in raw.split(",")] if raw else []
    try:
        video = _managed_video(request, video_id)
        urls, done = services.video_upload_parts(actor=request.user, video=video, numbers=numbers)
    except ApplicationError as error:
        return JsonResponse({"error": error.message}, status=error.status_code)
    return JsonResponse(
        {
            "urls": {str(n): url for n, url in urls.items()},
            "done": done,
            "part_bytes": int(video.upload_part_bytes),
            "parts": len(services.expected_parts(video)),
        }
    )


@login_required
@require_POST
@json_when_storage_down
def video_cancel(request, video_id: str):
    """Cancel an upload in progress: the video and anything uploaded go away."""
    try:
        video = _managed_video(request, video_id)
        if video.status != VideoStatus.UPLOADING:
            raise ApplicationError(_("Only an upload in progress can be cancelled."))
        permissions.require_owner(request.user, video)
        services.video_delete(actor=request.user, video=video)
    except ApplicationError as error:
        return JsonResponse({"error": error.message}, status=error.status_code)
    return JsonResponse({"status": "cancelled"})


@login_required
@require_safe
def studio_videos(request):
    """The creator's videos with live status."""
    page = selectors.studio_videos(request.user.user_id, cursor=request.GET.get("after"))
    return render(
        request, "videos_app/studio_videos.html", {"page": page, "rows": _rows(page.items)}
    )


def _rows(videos):
    return [_row(video) for video in videos]


def _row(video):
    return {
        "video": video,
        "poster_url": media_url(video.poster_key),
        "final": video.status in FINAL_STATUSES,
        "playable": bool(video.playlist_key),
    }


@login_required
@require_safe
def video_status(request, video_id: str):
    """One studio row (htmx polls it until the status is final)."""
    video = _managed_video(request, video_id)
    return render(request, "videos_app/_video_row.html", {"row": _row(video)})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def video_edit(request, video_id: str):
    """Edit title, description and visibility."""
    video = _managed_video(request, video_id)
    form = VideoEditForm(
        request.POST or None,
        initial={
            "title": video.title,
            "description": video.description,
            "visibility": video.visibility,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            staff_actions.video_edit(actor=request.user, video=video, **form.cleaned_data)
        except ApplicationError as error:
            form_error(request, form, error)
        else:
            messages.success(request, _("Video saved."))
            return redirect("studio_videos")
    return render(request, "videos_app/video_edit.html", {"form": form, "video": video})


@login_required
@require_POST
def video_delete(request, video_id: str):
    """Delete a video and its files (its owner), or remove it, restorable (staff)."""
    video = _managed_video(request, video_id)
    try:
        outcome = staff_actions.video_delete(actor=request.user, video=video)
    except ApplicationError as error:
        return error_page(request, error)
    if outcome == "removed":
        messages.success(
            request, _("Removed “%(title)s”; an admin can restore it.") % {"title": video.title}
        )
    else:
        messages.success(request, _("Deleted “%(title)s”.") % {"title": video.title})
    return redirect("studio_videos")


@login_required
@require_POST
def video_retry(request, video_id: str):
    """Transcode a failed video again."""
    video = _managed_video(request, video_id)
    try:
        staff_actions.video_retry(actor=request.user, video=video)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("“%(title)s” is being processed again.") % {"title": video.title}
        )
    if request.htmx:
        return render(
            request,
            "videos_app/_video_row.html",
            {"row": _row(selectors.video_get(video_id, consistent=True))},
        )
    return redirect("studio_videos")


@require_safe
def watch(request, video_id: str):
    """The watch page: a fixed number of DynamoDB requests whatever the counts (one
    BatchGetItem for what differs per viewer; the rest is shared for a few seconds)."""
    try:
        video = selectors.video_for_viewer(video_id, user=request.user)
    except NotFound as error:
        return error_page(request, error)
    playable = bool(video.playlist_key) and video.status in {
        VideoStatus.READY,
        VideoStatus.PROCESSING,
    }
    player = playback.video_player(video) if playable else None
    can_manage = permissions.can_manage(request.user, video)
    inputs = WatchInputs(
        video=video,
        state=watch_state(video=video, user=request.user),
        kind=viewer_kind(request.user, can_manage=can_manage),
        comments=comments_page(video.video_id) if video.status == VideoStatus.READY else None,
        neighbours=selectors.channel_public_videos(video.channel_id),
        playable=playable,
        player=player,
        poster_url=media_url(video.poster_key),
    )
    response = render(
        request,
        "videos_app/watch.html",
        {
            "video": video,
            "main": watch_main(request, inputs),
            "playable": playable,
            "needs_csrf": playable,  # the player's view beacon is a POST
        },
    )
    if player:
        playback.grant_playback(response, video)
    return response


def _playable_video(request, video_id: str):
    try:
        video = selectors.video_for_viewer(video_id, user=request.user)
    except NotFound:
        raise Http404 from None
    if not video.playlist_key or video.status not in {VideoStatus.READY, VideoStatus.PROCESSING}:
        raise Http404
    return video


@require_safe
def playlist(request, video_id: str, name: str):
    """An HLS playlist of a video, with signed segment URIs (served from the cache)."""
    video = _playable_video(request, video_id)
    if not playback.valid_playlist_name(name):
        raise Http404
    return playback.video_playlist_response(request, video, name)


@require_safe
def playback_grant(request, video_id: str):
    """Renews the CDN cookies the player reads a video with (signed-cookie mode; 204)."""
    video = _playable_video(request, video_id)
    response = HttpResponse(status=204)
    response["Cache-Control"] = "no-store"
    playback.grant_playback(response, video)
    return response
