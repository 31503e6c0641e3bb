"""A live stream's recording becomes a normal video, its replay."""

import hashlib

from django.conf import settings
from pynamodb.exceptions import PutError

from videoplatform.dynamodb import condition_failed, now_s
from videos_app.models import Video, VideoStatus, Visibility
from videos_app.publishing import TITLE_MAX, video_publish
from videos_app.selectors import video_get
from videos_app.states import set_pending
from videos_app.transcode_jobs import video_submit

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def replay_video_id(stream_id: str) -> str:
    """The same id every time for one stream: creating the replay twice (a replayed
    event, reconcile after a crash) finds the first instead of making a second."""
    number = int.from_bytes(hashlib.sha256(f"replay#{stream_id}".encode()).digest()[:9], "big")
    chars = []
    for _ in range(12):
        number, digit = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[digit])
    return "".join(chars)


def video_create_replay(
    *,
    stream_id: str,
    channel_id: str,
    owner_user_id: str,
    title: str,
    bucket: str,
    prefix: str,
    duration_s: float | None = None,
    owner_banned: bool = False,
) -> tuple[Video, bool]:
    """The replay of a stream from its recording at ``bucket``/``prefix``. Returns the
    video and whether this call made it.

    A recording in the raw bucket (the local ingest's one file) is transcoded like an
    upload; it is created already pending, so if this process dies before submitting
    it, reconcile still finds it. An IVS recording already is an HLS ladder: it is
    published as is. A banned owner's replay is made hidden, like their other videos."""
    local_source = bucket == settings.S3_RAW_BUCKET
    video = Video(
        replay_video_id(stream_id),
        channel_id=channel_id,
        owner_user_id=owner_user_id,
        title=f"{title} (replay)"[:TITLE_MAX],
        description="",
        visibility=str(Visibility.PUBLIC),
        created_at=now_s(),
        owner_banned=owner_banned,
    )
    if local_source:
        video.source_key = prefix
        set_pending(video, VideoStatus.UPLOADED)
    else:
        video.job_id = f"ivs-{stream_id}"
        set_pending(video, VideoStatus.PROCESSING)
    try:
        video.save(condition=Video.video_id.does_not_exist())
    except PutError as error:
        if not condition_failed(error):
            raise
        return video_get(video.video_id, consistent=True), False
    if local_source:
        video_submit(video=video)
    else:
        video_publish(
            video=video,
            outputs={"playlist_key": f"{prefix}/media/hls/master.m3u8", "duration_s": duration_s},
        )
    return video, True
