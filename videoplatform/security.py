"""Content-Security-Policy for every page: our own origin, the media origin (S3
endpoint or CDN) and what the IVS player needs; nothing inline."""

from functools import cache
from urllib.parse import urlparse

from django.conf import settings

IVS_ORIGINS = ("https://*.live-video.net",)


def _origin(url: str) -> str | None:
    parsed = urlparse(url)
    if not parsed.scheme or not parsed.netloc:
        return None
    return f"{parsed.scheme}://{parsed.netloc}"


@cache
def media_origins() -> tuple[str, ...]:
    """Where the browser fetches media and posts uploads."""
    origins = []
    if settings.S3_PUBLIC_ENDPOINT_URL:
        origins.append(_origin(settings.S3_PUBLIC_ENDPOINT_URL))
    else:
        region = settings.AWS_REGION
        origins.append(f"https://s3.{region}.amazonaws.com")
        for bucket in (settings.S3_RAW_BUCKET, settings.S3_MEDIA_BUCKET):
            origins.append(f"https://{bucket}.s3.{region}.amazonaws.com")
    if settings.CLOUDFRONT_DOMAIN:
        origins.append(f"https://{settings.CLOUDFRONT_DOMAIN}")
    return tuple(o for o in origins if o)


@cache
def content_security_policy() -> str:
    media = " ".join(media_origins())
    ivs = " ".join(IVS_ORIGINS) if settings.LIVE_BACKEND == "ivs" else ""
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": f"'self' data: blob: {media} {ivs}",
        "media-src": f"'self' blob: {media} {ivs}",
        "connect-src": f"'self' {media} {ivs}",
        "worker-src": "'self' blob:",
        "font-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {' '.join(value.split())}" for name, value in directives.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", content_security_policy())
        return response
