"""Factories for video tests: upload a real file through the presigned POST, like a browser."""

import requests

from videos_app import services
from videos_app.selectors import video_get


def start_upload(
    *, actor, channel, title="A video", visibility="public", size=None, content_type="video/mp4"
):
    return services.video_create_upload(
        actor=actor,
        channel_id=channel.channel_id,
        title=title,
        description="",
        visibility=visibility,
        content_type=content_type,
        size=size if size is not None else 1000,
    )


def post_to_storage(post, data: bytes, *, content_type: str | None = None) -> requests.Response:
    fields = dict(post.fields)
    if content_type:
        fields["Content-Type"] = content_type
    return requests.post(post.url, data=fields, files={"file": ("source.mp4", data)}, timeout=30)


def make_uploaded_video(*, actor, channel, path: str, **kwargs):
    """A video whose source is in the raw bucket and which is queued for transcoding."""
    with open(path, "rb") as handle:
        data = handle.read()
    video, post = start_upload(actor=actor, channel=channel, size=len(data), **kwargs)
    response = post_to_storage(post, data)
    assert response.status_code in (200, 201, 204), response.text
    services.video_mark_uploaded(actor=actor, video=video)
    return video_get(video.video_id, consistent=True)
