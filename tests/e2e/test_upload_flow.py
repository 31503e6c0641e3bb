"""A creator uploads a real file in the browser; it is transcoded and plays with hls.js."""

import pytest

from conftest import make_channel, make_user
from tests.e2e.browser_helpers import log_in
from videos_app.tests.media_samples import make_sample

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def sample_720p(tmp_path_factory):
    return make_sample(
        str(tmp_path_factory.mktemp("e2e") / "clip720.mp4"), width=1280, height=720, seconds=6
    )


def test_upload_process_and_play(page, live_server_url, running_worker, sample_720p):
    """Upload through the page, watch the status reach ready without reload, then play it."""
    creator = make_user()
    channel = make_channel(owner=creator, name="Upload Channel")
    log_in(page, live_server_url, creator)

    page.goto(f"{live_server_url}/studio/upload/")
    page.get_by_label("Channel").select_option(channel.channel_id)
    page.get_by_label("Title").fill("My first upload")
    page.get_by_label("Visibility").select_option("public")
    page.get_by_label("Video file").set_input_files(sample_720p)
    page.get_by_role("button", name="Upload video").click()

    page.wait_for_url(f"{live_server_url}/studio/videos/")
    page.evaluate("window.sameDocument = true")
    row = page.locator("tr.video-row", has_text="My first upload")
    row.locator('.status[data-status="ready"]').wait_for(timeout=120_000)
    assert page.evaluate("window.sameDocument === true"), "the studio page reloaded"

    row.get_by_role("link", name="My first upload").click()
    page.wait_for_function(
        "() => window.videoPlayer && window.videoPlayer.levels.length >= 2", timeout=30_000
    )
    page.evaluate("document.getElementById('video').muted = true")
    page.evaluate("document.getElementById('video').play()")
    page.wait_for_function(
        "() => document.getElementById('video').currentTime > 1.0", timeout=30_000
    )
    levels = page.evaluate("window.videoPlayer.levels.map(l => l.height)")
    assert sorted(levels) == [360, 480, 720]
    # The player's Settings > Quality menu offers each height hls.js found.
    settings = page.locator(".plyr__controls .plyr__menu > button[data-plyr='settings']")
    settings.hover()  # shows the control bar, which Plyr hides while playing
    page.wait_for_function("() => !document.querySelector('.plyr--hide-controls')")
    settings.click()
    page.get_by_role("menuitem", name="Quality").click()
    items = page.locator("[data-plyr='quality'][role='menuitemradio']")
    items.first.wait_for()
    labels = [text.split("\n")[0].strip() for text in items.all_inner_texts()]
    assert labels == ["Auto", "720p", "480p", "360p"], labels
