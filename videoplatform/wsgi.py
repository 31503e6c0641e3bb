import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "videoplatform.settings")
application = get_wsgi_application()

from videoplatform.process_start import ready_for_requests  # noqa: E402 - needs Django set up

ready_for_requests()
