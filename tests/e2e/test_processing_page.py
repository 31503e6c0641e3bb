"""A watch page opened while its video is processing updates by itself: once the video
is ready the player appears without a reload by hand."""

import pytest
from playwright.sync_api import expect

from conftest import make_channel, make_user
from videos_app import services as video_services
from videos_app.models import Video, VideoStatus
from videos_app.selectors import video_get
from videos_app.tests.factories import start_upload

pytestmark = pytest.mark.browser


def test_the_player_appears_when_the_video_becomes_ready(page, live_server_url):
    owner = make_user()
    video, _ = start_upload(actor=owner, channel=make_channel(owner=owner), title="Slow one")
    video.update(
        actions=[Video.status.set(str(VideoStatus.PROCESSING)), Video.job_id.set("job-slow")]
    )
    page.goto(f"{live_server_url}/watch/{video.video_id}/")
    notice = page.locator("#processing-state")
    expect(notice).to_contain_text("being processed")
    assert page.locator("#player").count() == 0
    first_load = page.evaluate("performance.timeOrigin")
    # It keeps asking while nothing changes.
    with page.expect_response(lambda r: r.url.endswith(f"/{video.video_id}/processing/")):
        pass

    # The transcoder finishes (as social_app.tests.factories.make_ready_video does).
    assert video_services.video_publish(
        video=video_get(video.video_id, consistent=True),
        outputs={"playlist_key": f"hls/{video.video_id}/master.m3u8", "renditions": ["360p"]},
    )

    expect(page.locator("#player")).to_be_attached(timeout=15_000)
    expect(page.locator("#processing-state")).to_have_count(0)
    assert page.evaluate("performance.timeOrigin") != first_load, "the page reloaded itself"
    assert page.url == f"{live_server_url}/watch/{video.video_id}/"
