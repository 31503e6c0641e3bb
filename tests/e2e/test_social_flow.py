"""Two people in two browsers: B follows, likes and comments on A's video, A replies and
publishes, and B's bell and notifications show it; the counts survive a reload."""

import pytest
from playwright.sync_api import expect

from conftest import make_channel, make_user
from social_app.fanout import fanout_run_once
from social_app.tests.factories import make_ready_video
from tests.e2e.browser_helpers import log_in, tracked_page

pytestmark = pytest.mark.browser

SCRIPT_COMMENT = "<script>window.pwned=1</script> nice"


@pytest.fixture
def page_a(browser):
    page = tracked_page(browser)
    yield page
    page.context.close()


def settled(page):
    """Wait until htmx has loaded the bell, so that leaving the page does not abort it."""
    page.locator("#bell .unread-count").wait_for(state="attached")
    return page


def real_problems(page) -> list[str]:
    """Problems other than the HLS playlist and what the player's retries against it leave
    (a media source URL it let go): the factory's ready videos have no media files
    (playback is not what this test is about)."""
    return [
        p
        for p in page.problems
        if "/hls/" not in p and " blob:" not in p and not p.endswith("/favicon.ico")
    ]


def drain_fanouts() -> None:
    while fanout_run_once(worker_id="e2e-drain"):
        pass


class TestSocialFlow:
    def test_two_users_follow_like_comment_reply_publish(self, page, page_a, live_server_url):
        """B subscribes, likes and comments (a <script> stays text); A replies and
        publishes; B's bell counts both and /notifications/ lists them; counts persist."""
        alice = make_user(display_name="Alice Author")
        bob = make_user(display_name="Bob Browser")
        channel = make_channel(owner=alice, name="Alice Films")
        video = make_ready_video(owner=alice, channel=channel, title="Alice's first film")
        drain_fanouts()  # its publish fan-out ran long ago, before B followed the channel
        watch = f"{live_server_url}/watch/{video.video_id}/"
        page_b = page
        log_in(page_b, live_server_url, bob)
        settled(page_b)
        log_in(page_a, live_server_url, alice)
        settled(page_a)

        # B: subscribe, like, comment.
        settled(page_b).goto(watch)
        settled(page_b)
        subscribe_form = page_b.locator(f"#subscribe-{channel.channel_id}")
        subscribe_form.get_by_role("button", name="Subscribe").click()
        expect(subscribe_form.get_by_role("button")).to_have_text("Subscribed")
        expect(subscribe_form.locator(".subscriber-count")).to_have_text("1 subscriber")

        like_form = page_b.locator("#like-button")
        like_form.get_by_role("button", name="Like").click()
        expect(like_form.get_by_role("button")).to_have_text("Liked")
        expect(like_form.locator(".like-count")).to_have_text("1")

        page_b.get_by_label("Add a comment").fill(SCRIPT_COMMENT)
        page_b.get_by_role("button", name="Comment", exact=True).click()
        bobs_comment = page_b.locator("li.comment", has_text="nice").first
        expect(bobs_comment.locator(".comment-text").first).to_have_text(SCRIPT_COMMENT)
        expect(page_b.locator("#comments .comment-count")).to_have_text("1")
        assert page_b.evaluate("typeof window.pwned") == "undefined"
        assert page_b.locator("#comments script").count() == 0

        # A: sees the comment as text, replies to it.
        page_a.goto(watch)
        settled(page_a)
        thread = page_a.locator("li.comment:not(.reply)", has_text="nice").first
        expect(thread.locator(".comment-text").first).to_have_text(SCRIPT_COMMENT)
        thread.locator("summary", has_text="Reply").click()
        thread.get_by_label("Your reply").fill("Thanks for watching!")
        thread.locator("form button[type=submit]", has_text="Reply").click()
        reply = page_a.locator("li.comment:not(.reply)", has_text="nice").first.locator("li.reply")
        expect(reply).to_contain_text("Thanks for watching!")
        expect(page_a.locator("#comments .comment-count")).to_have_text("2")
        assert page_a.evaluate("typeof window.pwned") == "undefined"

        # A publishes a new video (becoming ready queues the fan-out), and the fan-out runs
        # outside any request, as the notification worker does.
        new_video = make_ready_video(owner=alice, channel=channel, title="Alice's second film")
        drain_fanouts()

        # B: the bell (loaded by htmx) counts both, and the list shows them newest first.
        page_b.reload()
        bell = page_b.locator("#bell .unread-count")
        expect(bell).to_have_text("2")
        page_b.locator("#bell").click()
        page_b.wait_for_url(f"{live_server_url}/notifications/")
        settled(page_b)
        items = page_b.locator("li.notification")
        expect(items).to_have_count(2)
        expect(items.nth(0)).to_have_text("Alice Films published “Alice's second film”")
        expect(items.nth(1)).to_contain_text("Alice Author replied to your comment")
        expect(page_b.locator("li.notification.unread")).to_have_count(2)

        # Opening the video notification leads to the new video and marks it read.
        items.nth(0).get_by_role("link").click()
        page_b.wait_for_url(f"{live_server_url}/watch/{new_video.video_id}/")
        expect(page_b.locator("#bell .unread-count")).to_have_text("1")

        # Everything persists across a reload, for both people.
        for viewer_page in (page_b, page_a):
            settled(viewer_page).goto(watch)
            settled(viewer_page).reload()
            settled(viewer_page)
            expect(viewer_page.locator("#like-button .like-count")).to_have_text("1")
            expect(viewer_page.locator(".channel-link .subscriber-count")).to_have_text(
                "1 subscriber"
            )
            expect(viewer_page.locator("#comments .comment-count")).to_have_text("2")
            expect(
                viewer_page.locator("li.comment", has_text="nice")
                .first.locator(".comment-text")
                .first
            ).to_have_text(SCRIPT_COMMENT)
            assert viewer_page.evaluate("typeof window.pwned") == "undefined"
        expect(page_b.locator("#like-button button")).to_have_text("Liked")
        expect(page_b.locator(f"#subscribe-{channel.channel_id} button")).to_have_text("Subscribed")
        settled(page_b).goto(f"{live_server_url}/c/{channel.handle}/")
        settled(page_b)
        expect(page_b.locator(".channel-header .counts .subscriber-count")).to_have_text(
            "1 subscriber"
        )

        assert real_problems(page_b) == [], page_b.problems
        assert real_problems(page_a) == [], page_a.problems
