"""AWS events as the live backend's EventBridge rules deliver them, for tests."""

from videoplatform.events import make_event


def stream_event(session, name):
    """An IVS "Stream State Change" (``name``: Stream Start, Stream End, ...) for ``session``."""
    return make_event(
        source="aws.ivs",
        detail_type="IVS Stream State Change",
        detail={"event_name": name, "channel_name": session.stream_id, "stream_id": "st-1"},
        resources=[session.channel_arn],
    )
