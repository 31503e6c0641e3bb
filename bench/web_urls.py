"""The web benchmark's URLconf: the site's own URLs plus the bare view every page is
measured against. Only `bench.web_settings` selects it; production URLs stay as they are."""

from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_safe

from bench.web_load import BARE_PATH
from videoplatform.urls import handler403, handler404, handler500  # noqa: F401


@require_safe
def bare(request):
    """A tiny answer through the whole middleware stack: the yardstick for every page."""
    return HttpResponse("ok\n", content_type="text/plain")


urlpatterns = [
    path(BARE_PATH.lstrip("/"), bare, name="bench_bare"),
    path("", include("videoplatform.urls")),
]
