from django.apps import AppConfig


class VideosAppConfig(AppConfig):
    name = "videos_app"
