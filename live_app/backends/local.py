"""Local live backend: an RTMP server on 127.0.0.1 run by ``manage.py live_ingest``."""

import secrets

from django.conf import settings
from django.urls import reverse

from live_app.backends.base import LiveBackend, LiveChannel


def new_stream_key() -> str:
    return "sk_" + secrets.token_urlsafe(24)


class LocalBackend(LiveBackend):
    name = "local"
    player = "hls"

    def create_channel(self, *, stream_id: str, name: str, private: bool) -> LiveChannel:
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

    def delete_channel(self, *, channel: LiveChannel) -> None:
        return None

    def playback_url(
        self, *, channel: LiveChannel, private: bool, viewer_id: str | None
    ) -> str | None:
        stream_id = (channel.channel_arn or "").rsplit("/", 1)[-1]
        return reverse("live_playlist", args=[stream_id, "index.m3u8"])
