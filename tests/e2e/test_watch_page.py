"""The watch page as a person uses it: a long description unfolds with "Show more" and
folds again, its link is clickable; a comment is answered through its Reply button; the
comments switch between Top and Newest without reloading the page; nothing needs a
disclosure triangle."""

import pytest
from playwright.sync_api import expect

from conftest import make_channel, make_user
from social_app.services import comment_post
from social_app.tests.factories import make_ready_video
from tests.e2e.browser_helpers import log_in
from videos_app.models import Video

pytestmark = pytest.mark.browser

DESCRIPTION = "Everything about this film: https://example.com/notes\n" + "\n".join(
    f"Line {n} of the making-of notes." for n in range(1, 13)
)


def settled(page):
    """Wait until htmx has loaded the bell, so that leaving the page does not abort it."""
    page.locator("#bell .unread-count").wait_for(state="attached")
    return page


def real_problems(page) -> list[str]:
    """Problems other than the player's: the factory's videos have no media files, so
    their playlist is missing and the player's media source fails."""
    return [
        p
        for p in page.problems
        if "/hls/" not in p and " blob:" not in p and not p.endswith("/favicon.ico")
    ]


@pytest.fixture
def watched(live_server_url):
    """A video with a long description and two comments, the older one answered."""
    alice = make_user(display_name="Alice Author")
    channel = make_channel(owner=alice, name="Alice Films")
    video = make_ready_video(owner=alice, channel=channel, title="A film with notes")
    video.update(actions=[Video.description.set(DESCRIPTION)])
    carol = make_user(display_name="Carol Critic")
    older = comment_post(user=carol, video_id=video.video_id, text="Older, with a reply")
    comment_post(user=alice, video_id=video.video_id, text="Thanks!", parent_id=older.comment_id)
    comment_post(user=alice, video_id=video.video_id, text="Newer, no replies")
    return {"url": f"{live_server_url}/watch/{video.video_id}/", "video": video}


def test_show_more_reply_and_sort(page, live_server_url, watched):
    bob = make_user(display_name="bob viewer")
    log_in(page, live_server_url, bob)
    settled(page).goto(watched["url"])
    settled(page)

    # The description is folded to a few lines; Show more unfolds it, Show less folds it.
    text = page.locator(".description-text")
    folded = text.bounding_box()["height"]
    expect(text.get_by_role("link", name="https://example.com/notes")).to_have_attribute(
        "href", "https://example.com/notes"
    )
    page.get_by_text("Show more", exact=True).click()
    expect(page.get_by_text("Show less", exact=True)).to_be_visible()
    opened = text.bounding_box()["height"]
    assert opened > folded * 2, (folded, opened)
    page.get_by_text("Show less", exact=True).click()
    expect(page.get_by_text("Show more", exact=True)).to_be_visible()
    assert text.bounding_box()["height"] == pytest.approx(folded, abs=1)

    # Each comment shows its author's initial and when it was written.
    thread = page.locator("li.comment:not(.reply)", has_text="Newer, no replies")
    expect(thread.locator(".comment-avatar").first).to_have_text("A")
    expect(thread.locator(".comment-meta time").first).to_have_text("just now")

    # Reply is a button (a summary without the browser's triangle) that opens the form.
    reply_button = thread.locator("summary", has_text="Reply")
    expect(reply_button).to_have_class("action")
    marker = reply_button.evaluate("el => getComputedStyle(el).listStyleType")
    assert marker == "none"
    reply_field = thread.get_by_label("Your reply")
    expect(reply_field).to_be_hidden()
    reply_button.click()
    reply_field.fill("Bob agrees")
    thread.locator("form button[type=submit]", has_text="Reply").click()
    answered = page.locator("li.comment:not(.reply)", has_text="Newer, no replies")
    expect(answered.locator("li.reply")).to_contain_text("Bob agrees")
    expect(answered.locator("li.reply .comment-avatar")).to_have_text("B")

    # Top: both threads have one reply now, so the newer comes first; then reorder by
    # answering the older thread again and switching to Top without a reload.
    older = page.locator("li.comment:not(.reply)", has_text="Older, with a reply")
    older.locator("summary", has_text="Reply").click()
    older.get_by_label("Your reply").fill("Me too")
    older.locator("form button[type=submit]", has_text="Reply").click()
    expect(
        page.locator("li.comment:not(.reply)", has_text="Older").locator("li.reply")
    ).to_have_count(2)
    page.evaluate("window.notReloaded = true")
    page.get_by_role("navigation", name="Sort comments").get_by_role("link", name="Top").click()
    page.wait_for_url(f"{watched['url']}?sort=top")
    first = page.locator("#comments .comment-list > li.comment").first
    expect(first).to_contain_text("Older, with a reply")
    expect(
        page.get_by_role("navigation", name="Sort comments").get_by_role("link", name="Top")
    ).to_have_attribute("aria-current", "true")
    assert page.evaluate("window.notReloaded") is True

    page.get_by_role("navigation", name="Sort comments").get_by_role("link", name="Newest").click()
    expect(page.locator("#comments .comment-list > li.comment").first).to_contain_text(
        "Newer, no replies"
    )
    assert real_problems(page) == [], page.problems
