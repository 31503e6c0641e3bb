"""The intake for AWS state-change events (MediaConvert, IVS).

EventBridge delivers at least once, late and out of order. Each envelope id is
recorded once with a conditional write, so a replay is acknowledged and ignored; the
handlers themselves only make monotonic, conditional transitions. The local worker and
ingest build events of the same shape and pass them to ``handle_event`` in process.
"""

import logging
import time
import uuid
from collections.abc import Callable
from typing import Literal

from django.conf import settings
from pynamodb.exceptions import PutError

from videoplatform.dynamodb import condition_failed
from videoplatform.errors import ApplicationError
from videoplatform.models import ProcessedEvent

logger = logging.getLogger(__name__)

PROCESSED_EVENT_TTL_S = 14 * 24 * 3600

# (source, detail-type) -> handler(detail=, event=) -> bool. Each app registers the
# events it handles from its AppConfig.ready(), so this intake imports no app.
_HANDLERS: dict[tuple[str, str], Callable[..., bool]] = {}


def register_handler(source: str, detail_type: str, handler: Callable[..., bool]) -> None:
    _HANDLERS[(source, detail_type)] = handler


Outcome = Literal["applied", "duplicate", "ignored"]


class InvalidEvent(ApplicationError):
    pass


def make_event(
    *, source: str, detail_type: str, detail: dict, resources: list[str] | None = None
) -> dict:
    """An EventBridge envelope as AWS sends it (used by the local worker and ingest)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": settings.AWS_ACCOUNT_ID or "000000000000",
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "region": settings.AWS_REGION,
        "resources": resources or [],
        "detail": detail,
    }


def handle_event(event: dict) -> Outcome:
    """Apply one event at most once. Raises InvalidEvent for a malformed envelope."""
    if not isinstance(event, dict):
        raise InvalidEvent("The event must be a JSON object.")
    event_id = event.get("id")
    source = event.get("source")
    detail_type = event.get("detail-type")
    detail = event.get("detail")
    if not isinstance(event_id, str) or not event_id or len(event_id) > 128:
        raise InvalidEvent("The event has no valid id.")
    if not isinstance(detail, dict):
        raise InvalidEvent("The event has no detail object.")
    if settings.AWS_ACCOUNT_ID and event.get("account") != settings.AWS_ACCOUNT_ID:
        raise InvalidEvent("The event comes from another account.")
    handler = _HANDLERS.get((source, detail_type))
    if handler is None:
        raise InvalidEvent("This kind of event is not accepted here.")

    record = ProcessedEvent(
        event_id,
        detail_type=detail_type,
        expires_at=int(time.time()) + PROCESSED_EVENT_TTL_S,
    )
    try:
        record.save(condition=ProcessedEvent.event_id.does_not_exist())
    except PutError as error:
        if condition_failed(error):
            logger.info("event %s already applied", event_id)
            return "duplicate"
        raise
    try:
        applied = handler(detail=detail, event=event)
    except Exception:
        # Let the sender retry: forget the id so the retry is not taken for a replay.
        record.delete()
        raise
    return "applied" if applied else "ignored"
