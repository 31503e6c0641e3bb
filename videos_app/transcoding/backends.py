"""The transcoder chosen by ``TRANSCODER_BACKEND``, loaded once."""

from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from videos_app.transcoding.base import TranscoderBackend
from videos_app.transcoding.ffmpeg_backend import FfmpegTranscoder
from videos_app.transcoding.mediaconvert_backend import MediaConvertTranscoder


@cache
def get_transcoder() -> TranscoderBackend:
    if settings.TRANSCODER_BACKEND == "ffmpeg":
        return FfmpegTranscoder()
    if settings.TRANSCODER_BACKEND == "mediaconvert":
        return MediaConvertTranscoder.from_settings()
    raise ImproperlyConfigured(f"Unknown TRANSCODER_BACKEND {settings.TRANSCODER_BACKEND!r}")
