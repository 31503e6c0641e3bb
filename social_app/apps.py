from django.apps import AppConfig

from social_app.fanout import fanout_enqueue_stream_started, fanout_enqueue_video_published
from videoplatform.reactions import STREAM_STARTED, VIDEO_PUBLISHED, react


class SocialAppConfig(AppConfig):
    name = "social_app"

    def ready(self) -> None:
        # Subscribers hear of a new video or a stream through a fan-out job the
        # notification worker runs; the announcing request only enqueues it.
        react(VIDEO_PUBLISHED, fanout_enqueue_video_published)
        react(STREAM_STARTED, fanout_enqueue_stream_started)
