"""Local live backend: an RTMP server on 127.0.0.1 run by ``manage.py live_ingest``."""

import secrets
import time

from django.conf import settings
from django.urls import reverse

from live_app import ingest_control
from live_app.backends.base import FoundRecording, LiveBackend, LiveChannel
from videoplatform import storage

# The ingest rewrites the live playlist every segment (1 s): one older than this means
# nobody is publishing.
PLAYLIST_STALE_S = 30


def new_stream_key() -> str:
    return "sk_" + secrets.token_urlsafe(24)


class LocalBackend(LiveBackend):
    name = "local"
    player = "hls"

    def create_channel(
        self, *, stream_id: str, name: str, private: bool, channel_id: str | None = None
    ) -> LiveChannel:
        # One channel per session, named after it: the ingest and playback find the
        # session's files by that name.
        return LiveChannel(
            channel_arn=f"local:channel/{stream_id}",
            ingest_url=f"rtmp://{settings.LIVE_RTMP_HOST}:{settings.LIVE_RTMP_PORT}/live/",
            stream_key=new_stream_key(),
            playback_url=None,
        )

    def rotate_stream_key(self, *, channel: LiveChannel) -> LiveChannel:
        return LiveChannel(
            channel_arn=channel.channel_arn,
            ingest_url=channel.ingest_url,
            stream_key=new_stream_key(),
            playback_url=channel.playback_url,
        )

    def revoke_stream_key(self, *, channel: LiveChannel) -> None:
        # The local ingest asks the app for every publish (on_publish): a key whose claim
        # is gone, or whose session has ended, is refused there. Nothing to do here.
        return None

    def stop_stream(self, *, channel: LiveChannel, stream_id: str) -> None:
        # The ingest drops the publisher; a reconnecting encoder is then refused at
        # on_publish, because the session has ended.
        ingest_control.request_stop(stream_id, callback_port=settings.LIVE_CALLBACK_PORT)

    def delete_channel(self, *, channel: LiveChannel) -> None:
        return None

    def playback_url(
        self, *, channel: LiveChannel, private: bool, viewer_id: str | None
    ) -> str | None:
        stream_id = (channel.channel_arn or "").rsplit("/", 1)[-1]
        return reverse("live_playlist", args=[stream_id, "index.m3u8"])

    def is_broadcasting(self, *, channel: LiveChannel, stream_id: str) -> bool:
        playlist = storage.head_object(
            bucket=settings.S3_MEDIA_BUCKET, key=f"live/{stream_id}/index.m3u8"
        )
        return bool(
            playlist
            and playlist.modified_at
            and time.time() - playlist.modified_at < PLAYLIST_STALE_S
        )

    def find_recording(
        self, *, channel: LiveChannel, stream_id: str, since: int, until: int | None = None
    ) -> FoundRecording | None:
        # The ingest uploads each recording as recordings/<stream_id>/<unix time>.flv.
        newest = storage.newest_object(
            bucket=settings.S3_RAW_BUCKET, prefix=f"recordings/{stream_id}/", modified_since=since
        )
        return (
            None
            if newest is None
            else FoundRecording(bucket=settings.S3_RAW_BUCKET, prefix=newest.key)
        )
