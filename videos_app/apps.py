from django.apps import AppConfig

from videoplatform.events import register_handler
from videos_app.search import listeners
from videos_app.transcode_jobs import video_apply_transcode_event


class VideosAppConfig(AppConfig):
    name = "videos_app"

    def ready(self) -> None:
        listeners.connect()
        register_handler(
            "aws.mediaconvert", "MediaConvert Job State Change", video_apply_transcode_event
        )
