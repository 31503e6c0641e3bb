"""Settings for the web benchmark's gunicorn: the site's settings as the environment
makes them (`bench.web_server` sets DJANGO_ENV=production, pointed at the bench's own
local servers) plus the bare view's URL."""

from videoplatform.settings import *  # noqa: F403

ROOT_URLCONF = "bench.web_urls"

# Static files as locally (finders, unhashed names): the bench runs no collectstatic,
# and no measured page is a static file. Rendering a page differs by one manifest
# lookup per {% static %} tag.
STATIC_ROOT = None
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
