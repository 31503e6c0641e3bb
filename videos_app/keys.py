"""Where a video's files live in storage (pure: no reads, no writes)."""

from django.conf import settings

SOURCE_NAME = "source"


def raw_key(video_id: str) -> str:
    return f"raw/{video_id}/{SOURCE_NAME}"


def source_key_of(video) -> str:
    """Where the original is in the raw bucket (a live recording keeps its own key)."""
    return video.source_key or raw_key(video.video_id)


def hls_prefix(video_id: str) -> str:
    return f"hls/{video_id}/"


def media_key_from_uri(uri: str) -> str | None:
    """``s3://<media bucket>/<key>`` -> key; anything else (another bucket) -> None."""
    prefix = f"s3://{settings.S3_MEDIA_BUCKET}/"
    if isinstance(uri, str) and uri.startswith(prefix):
        key = uri[len(prefix) :]
        if ".." not in key.split("/"):
            return key
    return None
