"""``/hooks/aws/events/``: where EventBridge (API destination) delivers AWS events."""

import hmac
import json
import logging

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_POST

from videoplatform.events import InvalidEvent, handle_event

logger = logging.getLogger(__name__)

MAX_EVENT_BYTES = 256 * 1024


@csrf_exempt  # authenticated by the shared secret header, not a browser session
@require_POST
# Directly on the function: the filter hides the locals of the frame it wraps.
@sensitive_variables("expected", "given")
def aws_events(request):
    """Accept one EventBridge event authenticated by the shared-secret header."""
    expected = settings.EVENTS_WEBHOOK_SECRET
    given = request.META.get(settings.EVENTS_WEBHOOK_HEADER, "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        return JsonResponse({"error": "not authorized"}, status=403)
    if len(request.body) > MAX_EVENT_BYTES:
        return JsonResponse({"error": "event too large"}, status=413)
    try:
        event = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"error": "body is not JSON"}, status=400)
    except RecursionError:  # e.g. 50,000 nested brackets: malformed, not a server error
        return JsonResponse({"error": "body is nested too deeply"}, status=400)
    try:
        outcome = handle_event(event)
    except InvalidEvent as error:
        return JsonResponse({"error": error.message}, status=400)
    return JsonResponse({"result": outcome})
