"""The live backend chosen by ``LIVE_BACKEND``, loaded once."""

from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from live_app.backends.base import LiveBackend
from live_app.backends.ivs import IvsBackend
from live_app.backends.local import LocalBackend
from videoplatform import aws


@cache
def get_live_backend() -> LiveBackend:
    if settings.LIVE_BACKEND == "local":
        return LocalBackend()
    if settings.LIVE_BACKEND == "ivs":
        return IvsBackend(
            client=aws.client("ivs"),
            latency_mode=settings.IVS_LATENCY_MODE,
            channel_type=settings.IVS_CHANNEL_TYPE,
            recording_configuration_arn=settings.IVS_RECORDING_CONFIGURATION_ARN or None,
            playback_private_key_pem=settings.IVS_PLAYBACK_PRIVATE_KEY or None,
            allowed_origin=settings.SITE_URL,
            recording_bucket=settings.S3_MEDIA_BUCKET,
        )
    raise ImproperlyConfigured(f"Unknown LIVE_BACKEND {settings.LIVE_BACKEND!r}")
