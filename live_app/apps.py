from django.apps import AppConfig

from live_app.services import live_apply_recording_event, live_apply_stream_event
from videoplatform.events import register_handler


class LiveAppConfig(AppConfig):
    name = "live_app"

    def ready(self) -> None:
        register_handler("aws.ivs", "IVS Stream State Change", live_apply_stream_event)
        register_handler("aws.ivs", "IVS Recording State Change", live_apply_recording_event)
