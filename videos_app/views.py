"""Home page and (later) upload and watch pages."""

from django.shortcuts import render

from videos_app.selectors import public_feed
from videoplatform.storage import media_url


def home(request):
    """Latest public videos."""
    page = public_feed(cursor=request.GET.get("after"))
    posters = {video.video_id: media_url(video.poster_key) for video in page.items}
    return render(request, "videos_app/home.html", {"page": page, "posters": posters})
