from django.apps import AppConfig


class VideoplatformConfig(AppConfig):
    name = "videoplatform"
