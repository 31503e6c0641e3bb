"""An anonymous click that needs an account is done after logging in: the like is there
when the person lands back on the watch page."""

import pytest
from playwright.sync_api import expect

from conftest import STRONG_PASSWORD, make_user
from social_app.selectors import watch_state
from social_app.tests.factories import make_ready_video
from videos_app.selectors import video_get

pytestmark = pytest.mark.browser


def test_anonymous_like_is_done_after_logging_in(page, live_server_url):
    """Like (anonymous) -> the log-in page says it will like the video -> log in -> back
    on the watch page with the video liked, counted, and a toast saying so."""
    viewer = make_user()
    video = make_ready_video(title="Harbour at dawn")
    watch = f"{live_server_url}/watch/{video.video_id}/"
    page.goto(watch)

    page.locator("#like-button").get_by_role("link", name="Like").click()

    page.wait_for_url(f"{live_server_url}/accounts/login/**")
    expect(page.locator(".intent-note")).to_have_text("Log in to like “Harbour at dawn”.")
    page.get_by_label("Email").fill(viewer.email)
    page.get_by_label("Password").fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.wait_for_url(watch)
    like = page.locator("#like-button")
    expect(like.get_by_role("button")).to_have_text("Liked")
    expect(like.locator(".like-count")).to_have_text("1")
    expect(page.locator("#messages")).to_contain_text("You liked “Harbour at dawn”.")
    assert watch_state(video=video_get(video.video_id, consistent=True), user=viewer).liked
