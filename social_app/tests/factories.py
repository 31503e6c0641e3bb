"""A ready, public video without transcoding: the state the social features need."""

from django.conf import settings

from conftest import make_channel, make_user
from videos_app import services as video_services
from videos_app.models import Video, VideoStatus
from videos_app.selectors import video_get
from videos_app.tests.factories import start_upload


def make_ready_video(
    *, owner=None, channel=None, visibility="public", title="A ready video"
) -> Video:
    owner = owner or make_user()
    channel = channel or make_channel(owner=owner)
    video, _ = start_upload(actor=owner, channel=channel, title=title, visibility=visibility)
    video.update(
        actions=[Video.status.set(str(VideoStatus.PROCESSING)), Video.job_id.set("job-ready")]
    )
    video = video_get(video.video_id, consistent=True)
    playlist = f"hls/{video.video_id}/master.m3u8"
    assert video_services.video_publish(
        video=video, outputs={"playlist_key": playlist, "renditions": ["360p"]}
    ), settings.S3_MEDIA_BUCKET
    return video_get(video.video_id, consistent=True)
