"""Going live end to end in a real browser, with a real RTMP publisher and ingest."""

import pytest

from conftest import make_channel, make_user
from live_app.tests.publisher import start_publisher
from tests.e2e.browser_helpers import log_in

pytestmark = pytest.mark.browser


def test_go_live_watch_end_and_replay(browser, live_server_url, ingest, running_worker):
    """The creator goes live from the studio, an encoder publishes with the key read off
    the page, the viewer's page switches to the playing stream without reload, shows the
    end, and then links a replay that plays."""
    creator = make_user()
    channel = make_channel(owner=creator, name="Live Channel")
    creator_page = browser.new_context().new_page()
    creator_page.set_default_timeout(20_000)
    log_in(creator_page, live_server_url, creator)
    creator_page.goto(f"{live_server_url}/studio/live/")
    creator_page.get_by_label("Channel").select_option(channel.channel_id)
    creator_page.get_by_label("Title").fill("Launch party")
    creator_page.get_by_role("button", name="Go live").click()
    creator_page.wait_for_url(f"{live_server_url}/studio/live/*/")
    server_url = creator_page.get_by_label("Server URL").input_value()
    stream_key = creator_page.get_by_label("Stream key").input_value()
    stream_id = creator_page.url.rstrip("/").rsplit("/", 1)[-1]

    viewer = browser.new_context().new_page()
    viewer.set_default_timeout(20_000)
    viewer.goto(f"{live_server_url}/live/{stream_id}/")
    assert viewer.locator("#live-state .offline").is_visible()
    viewer.evaluate("window.sameDocument = true")

    publisher = start_publisher(server_url + stream_key, seconds=14)
    try:
        viewer.locator("#live-video").wait_for(timeout=30_000)
        viewer.wait_for_function(
            "() => document.getElementById('live-video').currentTime > 1.0", timeout=30_000
        )
        assert viewer.evaluate("window.sameDocument === true"), "the live page reloaded"
    finally:
        publisher.wait(timeout=60)
    viewer.locator("#live-state .ended").wait_for(timeout=30_000)
    replay_link = viewer.get_by_role("link", name="Watch the replay")
    replay_link.wait_for(timeout=120_000)
    assert viewer.evaluate("window.sameDocument === true")
    replay_link.click()
    viewer.wait_for_function(
        "() => window.videoPlayer && window.videoPlayer.levels.length >= 1", timeout=30_000
    )
    viewer.evaluate(
        "document.getElementById('video').muted = true; document.getElementById('video').play()"
    )
    viewer.wait_for_function(
        "() => document.getElementById('video').currentTime > 1.0", timeout=30_000
    )
    assert "(replay)" in viewer.locator("h1.video-title").inner_text()
