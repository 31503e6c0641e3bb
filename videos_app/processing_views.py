"""The watch page's "being processed" notice, polled by htmx until the video plays."""

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from videoplatform.errors import NotFound
from videos_app import selectors
from videos_app.models import VideoStatus

POLL_S = 4


def watch_is_waiting(video) -> bool:
    """The watch page shows the processing notice: the video neither plays nor is in a
    final state (failed, removed). The same test as the page's, so a reload it asks
    for never shows the notice again."""
    playable = bool(video.playlist_key) and video.status in {
        VideoStatus.READY,
        VideoStatus.PROCESSING,
    }
    return not playable and video.status not in {VideoStatus.FAILED, VideoStatus.REMOVED}


@require_safe
def processing_state(request, video_id: str):
    """The notice again while the video is still on its way; once that changes (it
    plays, failed, was removed or is no longer visible) the whole page again, so the
    player or the final state appears: htmx reloads it (HX-Refresh)."""
    try:
        video = selectors.video_for_viewer(video_id, user=request.user)
        waiting = watch_is_waiting(video)
    except NotFound:
        waiting = False
    if waiting:
        return render(
            request, "videos_app/_processing_state.html", {"video": video, "poll_s": POLL_S}
        )
    if request.htmx:
        return HttpResponse(status=200, headers={"HX-Refresh": "true"})
    return redirect(reverse("watch", args=[video_id]))
