"""The creator's studio page in a real browser, with a real encoder and the local ingest:
waiting for the encoder, the muted preview once the stream arrives, End stream (with its
confirm) that stops the encoder; a viewer's live page has the channel's Subscribe."""

import pytest

from conftest import make_channel, make_user
from live_app import services
from live_app.tests.publisher import start_publisher
from tests.e2e.browser_helpers import log_in, tracked_page

pytestmark = pytest.mark.browser


def test_preview_then_end_stream(browser, live_server_url, ingest):
    creator = make_user()
    channel = make_channel(owner=creator, name="Studio Channel")
    session = services.live_session_create(
        actor=creator, channel_id=channel.channel_id, title="Studio test"
    )
    studio = tracked_page(browser, timeout_ms=20_000)
    log_in(studio, live_server_url, creator)
    studio.goto(f"{live_server_url}/studio/live/{session.stream_id}/")
    assert studio.get_by_text("Waiting for your encoder…").is_visible()
    server_url = studio.get_by_label("Server URL").input_value()
    stream_key = studio.get_by_label("Stream key").input_value()
    studio.evaluate("window.sameDocument = true")

    viewer = tracked_page(browser)
    viewer.goto(f"{live_server_url}/live/{session.stream_id}/")
    block = viewer.locator(".live .channel-link")
    assert block.get_by_role("link", name="Studio Channel").is_visible()
    assert block.get_by_role("button", name="Subscribe").is_visible()

    encoder = start_publisher(server_url + stream_key, seconds=60)
    try:
        # The page swaps in the preview by itself and it plays, muted.
        studio.locator("#studio-state .live-player video").wait_for(timeout=30_000)
        studio.wait_for_function(
            "() => { const v = document.getElementById('live-preview');"
            " return v && v.muted && v.currentTime > 1.0; }",
            timeout=30_000,
        )
        assert studio.evaluate("window.sameDocument === true"), "the studio page reloaded"
        assert not studio.get_by_label("Stream key").is_visible()  # folded away while live
        dialogs = []
        studio.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
        studio.get_by_role("button", name="End stream").click()
        studio.locator("#studio-state[data-state=ended]").wait_for()
        assert dialogs and "End the stream" in dialogs[0]
        assert (
            studio.locator("#studio-state")
            .get_by_text("Stream ended; the replay is being prepared.")
            .is_visible()
        )
        assert not studio.get_by_role("button", name="End stream").is_visible()
        encoder.wait(timeout=15)
        assert encoder.returncode != 0, "the encoder was not disconnected"
    finally:
        if encoder.poll() is None:
            encoder.kill()
            encoder.wait(timeout=5)
    viewer.locator("#live-state .ended").wait_for(timeout=20_000)
    assert studio.problems == [], studio.problems


def test_dismissed_confirm_keeps_the_stream(browser, live_server_url):
    """Cancelling End stream's confirm sends nothing."""
    creator = make_user()
    channel = make_channel(owner=creator)
    session = services.live_session_create(
        actor=creator, channel_id=channel.channel_id, title="Kept"
    )
    page = tracked_page(browser)
    log_in(page, live_server_url, creator)
    page.goto(f"{live_server_url}/studio/live/{session.stream_id}/")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="End stream").click()
    page.wait_for_timeout(500)
    assert page.get_by_text("Waiting for your encoder…").is_visible()
    assert services.session_by_key(session.stream_key).status == "created"
