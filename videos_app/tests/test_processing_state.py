"""The watch page's processing notice asks again until the video plays
(videos_app.processing_views)."""

import pytest

from conftest import make_channel, make_user, sign_in
from social_app.tests.factories import make_ready_video
from videos_app.models import Video, VideoStatus
from videos_app.tests.factories import start_upload

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def owner():
    return make_user()


def waiting_video(owner, *, status=VideoStatus.QUEUED, visibility="public", playlist=None):
    video, _ = start_upload(actor=owner, channel=make_channel(owner=owner), visibility=visibility)
    actions = [Video.status.set(str(status))]
    if playlist:
        actions.append(Video.playlist_key.set(playlist))
    video.update(actions=actions)
    return video


def state_url(video) -> str:
    return f"/watch/{video.video_id}/processing/"


class TestProcessingState:
    @pytest.mark.parametrize(
        "status", [VideoStatus.UPLOADED, VideoStatus.QUEUED, VideoStatus.PROCESSING]
    )
    def test_while_on_its_way_the_notice_comes_back_and_keeps_asking(self, client, owner, status):
        video = waiting_video(owner, status=status)

        response = client.get(state_url(video), **HTMX)

        body = response.content.decode()
        assert response.status_code == 200 and "HX-Refresh" not in response
        assert 'id="processing-state"' in body
        assert f'hx-get="{state_url(video)}"' in body and 'hx-trigger="every 4s"' in body
        assert "This video is being processed" in body
        if status != VideoStatus.PROCESSING:
            assert f"({video.status_label.lower()})" in body

    @pytest.mark.parametrize("make", ["ready", "processing_with_playlist", "failed", "removed"])
    def test_once_it_plays_or_is_final_the_page_reloads(self, client, owner, make):
        if make == "ready":
            video = make_ready_video(owner=owner)
        elif make == "processing_with_playlist":
            video = waiting_video(
                owner, status=VideoStatus.PROCESSING, playlist="hls/x/master.m3u8"
            )
        else:
            video = waiting_video(owner, status=VideoStatus(make))
        if make == "removed":
            sign_in(client, owner)  # only its owner still sees it

        response = client.get(state_url(video), **HTMX)

        assert response.status_code == 200
        assert response["HX-Refresh"] == "true"
        assert b"processing-state" not in response.content

    def test_without_htmx_it_goes_to_the_watch_page(self, client, owner):
        video = make_ready_video(owner=owner)

        response = client.get(state_url(video))

        assert response.status_code == 302
        assert response["Location"] == f"/watch/{video.video_id}/"

    def test_a_private_video_is_told_to_its_owner_only(self, client, owner):
        video = waiting_video(owner, visibility="private")

        stranger = client.get(state_url(video), **HTMX)
        sign_in(client, owner)
        own = client.get(state_url(video), **HTMX)

        assert stranger["HX-Refresh"] == "true"  # the page then says it does not exist
        assert b"processing-state" not in stranger.content
        assert 'id="processing-state"' in own.content.decode()

    def test_the_watch_page_notice_polls(self, client, owner):
        video = waiting_video(owner)

        page = client.get(f"/watch/{video.video_id}/").content.decode()

        assert f'hx-get="{state_url(video)}"' in page
        assert 'hx-trigger="every 4s"' in page

    def test_only_reads(self, client, owner):
        video = waiting_video(owner)

        assert client.post(state_url(video), **HTMX).status_code == 405
