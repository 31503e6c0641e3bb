"""Search in the browser, indexed by the real search worker running beside the site: the
header box suggests titles as someone types, the results page shows only what anyone may
see, its filters and paging work with and without JavaScript, and the keyboard reaches
the suggestions."""

import re
import threading
import time
from urllib.parse import quote_plus

import pytest
from playwright.sync_api import expect

from channels_app.accounts import user_set_role
from channels_app.models import Role
from conftest import make_channel, make_user, unique
from social_app.moderation import user_ban
from social_app.tests.factories import make_ready_video
from tests.e2e.browser_helpers import tracked_page, transcoded_video
from videos_app.search.loader import get_search_backend
from videos_app.tests.media_samples import make_sample

pytestmark = pytest.mark.browser

TITLE = "Bikes on a sunny day"
INDEXED_WITHIN_S = 30.0


@pytest.fixture
def search_worker():
    """The search worker draining the pending-index queue in a thread, as
    `manage.py search_worker` does, for the length of the test."""
    from videos_app.search import worker

    stop = threading.Event()
    thread = threading.Thread(
        target=worker.run,
        kwargs={
            "backend": get_search_backend(),
            "holder": unique("e2e-search-"),
            "stop": stop,
            "poll_s": 0.2,
        },
        daemon=True,
    )
    thread.start()
    yield thread
    stop.set()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the search worker did not stop"


@pytest.fixture(scope="module")
def sample_clip(tmp_path_factory):
    return make_sample(
        str(tmp_path_factory.mktemp("search") / "clip.mp4"), width=640, height=360, seconds=3
    )


def search_url(base: str, text: str, **params: str) -> str:
    query = "&".join(f"{k}={quote_plus(v)}" for k, v in params.items())
    return f"{base}/search/?q={quote_plus(text)}" + (f"&{query}" if query else "")


def results(page):
    return page.locator("#search-results > li.search-result")


def result_titles(page) -> list[str]:
    return [t.strip() for t in results(page).locator(".result-title").all_inner_texts()]


def wait_for_results(page, url: str, ready, *, timeout_s: float = INDEXED_WITHIN_S) -> None:
    """Open the results page again until ``ready(titles)`` holds: the worker indexes in
    the background, so a change is findable a moment after it was made."""
    deadline = time.monotonic() + timeout_s
    while True:
        response = page.goto(url)
        assert response.status == 200, response.status
        titles = result_titles(page)
        if ready(titles):
            return
        if time.monotonic() > deadline:
            pytest.fail(f"not indexed within {timeout_s:.0f}s: {url} shows {titles}")
        page.wait_for_timeout(200)


def suggestion_links(page):
    return page.locator("#search-suggestions .suggestion-list a")


def unexpected_problems(page) -> list[str]:
    """Problems other than the HLS files that the factory's ready videos do not have."""
    return [p for p in page.problems if "/hls/" not in p]


class TestSearchFlow:
    def test_typed_words_suggest_find_and_play_only_the_public_video(
        self, page, live_server_url, search_worker, sample_clip
    ):
        """A transcoded public video is suggested for misspelled words, found on Enter with
        its matched words marked, and plays; a private video and a banned owner's video
        with the same words are neither suggested nor found."""
        base = live_server_url
        tag = unique("z")  # the words of this test's channels alone, in a shared index
        creator = make_user(display_name="Sunny Creator")
        channel = make_channel(owner=creator, name=f"Riverside {tag}")
        video = transcoded_video(sample_clip, TITLE, creator=creator, channel=channel)
        make_ready_video(owner=creator, channel=channel, title=TITLE, visibility="private")
        spammer = make_user(display_name="Banned Spammer")
        spam_channel = make_channel(owner=spammer, name=f"Spam {tag}")
        spam = make_ready_video(owner=spammer, channel=spam_channel, title=f"{TITLE} again")
        words = f"bikse sunny {tag}"

        # Both public videos are indexed (never the private one); then the spammer is banned.
        wait_for_results(
            page, search_url(base, words), lambda titles: sorted(titles) == [TITLE, spam.title]
        )
        moderator = make_user(display_name="Search Moderator")
        user_set_role(user=moderator, role=Role.MODERATOR, granted=True)
        user_ban(moderator=moderator, user_id=spammer.user_id, reason="Spam uploads")

        # A visitor types in the header's box: the suggestions (htmx) offer the title.
        page.goto(f"{base}/")
        box = page.get_by_role("searchbox", name="Search", exact=True)
        box.press_sequentially(words, delay=40)
        suggestions = suggestion_links(page)
        expect(suggestions).to_have_count(1)
        expect(suggestions.first).to_have_text(TITLE)
        expect(suggestions.first).to_have_attribute("href", f"/watch/{video.video_id}/")
        assert suggestions.first.locator("mark").all_inner_texts() == ["Bikes", "sunny"]

        # Enter opens the results page: the public video alone, its matched words marked.
        box.press("Enter")
        page.wait_for_url(re.compile(r"/search/\?q=bikse\+sunny\+"))
        expect(page.locator("h1")).to_have_text(f"Results for “{words}”")
        expect(box).to_have_value(words)
        expect(results(page)).to_have_count(1)
        found = results(page).first
        expect(found.locator(".result-title")).to_have_text(TITLE)
        assert found.locator(".result-title mark").all_inner_texts() == ["Bikes", "sunny"]
        expect(found.get_by_role("link", name=channel.name, exact=True)).to_have_attribute(
            "href", f"/c/{channel.handle}/"
        )
        expect(found.locator(".result-thumb img")).to_have_attribute("src", re.compile(r"."))
        expect(page.locator(".results-count")).to_have_text("1 result")
        expect(page.get_by_text(spam.title)).to_have_count(0)

        # The result opens the watch page, and the video plays.
        found.get_by_role("link", name=TITLE).click()
        page.wait_for_url(f"{base}/watch/{video.video_id}/")
        page.wait_for_function(
            "() => window.videoPlayer && window.videoPlayer.levels.length >= 1", timeout=30_000
        )
        page.evaluate("document.getElementById('video').muted = true")
        page.evaluate("document.getElementById('video').play()")
        page.wait_for_function(
            "() => document.getElementById('video').currentTime > 0.5", timeout=30_000
        )
        assert page.problems == []

    def test_filters_paging_and_keyboard(self, page, live_server_url, search_worker):
        """Type "Channels" leaves the channel alone; More results appends the next page
        under the first; Down from the box reaches the suggestions and Escape closes them."""
        base = live_server_url
        tag = unique("z")
        owner = make_user(display_name="Ride Owner")
        channel = make_channel(owner=owner, name=f"Sunny Riders {tag}")
        videos = [
            make_ready_video(owner=owner, channel=channel, title=f"Sunny ride number {n}")
            for n in range(22)
        ]
        words = f"sunny {tag}"
        everything = sorted([channel.name] + [v.title for v in videos])
        wait_for_results(page, search_url(base, words), lambda titles: len(titles) == 20)

        # Filters: "Channels" in Type applies at once (search.js) and leaves the channel.
        page.get_by_text("Filters", exact=True).click()
        expect(page.get_by_role("button", name="Apply")).to_be_hidden()
        page.get_by_label("Type").select_option(label="Channels")
        page.wait_for_url(re.compile(r"kind=channel"))
        expect(results(page)).to_have_count(1)
        expect(results(page).first).to_have_class(re.compile(r"\bkind-channel\b"))
        expect(results(page).first.locator(".result-title")).to_have_text(channel.name)
        expect(page.get_by_label("Type")).to_have_value("channel")
        expect(page.locator(".more-results")).to_have_count(0)

        # Paging: back to everything, 20 of 23; More results appends the other 3 in place.
        page.get_by_label("Type").select_option(label="All")
        page.wait_for_url(re.compile(r"kind=(&|$)"))
        expect(results(page)).to_have_count(20)
        expect(page.locator(".results-count")).to_have_text("23 results")
        page.evaluate("window.sameDocument = true")
        page.get_by_role("link", name="More results").click()
        expect(results(page)).to_have_count(23)
        expect(page.locator(".more-results")).to_have_count(0)
        assert page.evaluate("window.sameDocument === true"), "the page was reloaded"
        assert sorted(result_titles(page)) == everything

        # Keyboard: Down from the box focuses the first suggestion; Escape closes the list.
        box = page.get_by_role("searchbox", name="Search", exact=True)
        box.fill("")
        box.press_sequentially(f"{tag} sunny ri", delay=40)
        suggestions = suggestion_links(page)
        expect(suggestions).to_have_count(8)
        box.press("ArrowDown")
        expect(suggestions.first).to_be_focused()
        page.keyboard.press("ArrowDown")
        expect(suggestions.nth(1)).to_be_focused()
        page.keyboard.press("ArrowUp")
        page.keyboard.press("ArrowUp")
        expect(box).to_be_focused()
        box.press("ArrowDown")
        page.keyboard.press("Escape")
        expect(suggestions).to_have_count(0)
        expect(box).to_be_focused()
        assert unexpected_problems(page) == [], page.problems

    def test_search_and_filters_without_javascript(self, browser, live_server_url, search_worker):
        """Without JavaScript the header's box is a plain form to /search/?q= and the
        filters apply with their Apply button."""
        base = live_server_url
        tag = unique("z")
        owner = make_user()
        channel = make_channel(owner=owner, name=f"Quiet Lake {tag}")
        video = make_ready_video(owner=owner, channel=channel, title="Quiet lake at dawn")
        watcher = tracked_page(browser)
        wait_for_results(
            watcher,
            search_url(base, f"quiet {tag}"),
            lambda titles: sorted(titles) == sorted([channel.name, video.title]),
        )
        watcher.context.close()

        page = browser.new_context(java_script_enabled=False).new_page()
        try:
            page.goto(f"{base}/")
            page.get_by_role("searchbox", name="Search", exact=True).fill(f"quiet lkae {tag}")
            page.get_by_role("button", name="Search", exact=True).click()
            page.wait_for_url(search_url(base, f"quiet lkae {tag}"))
            expect(results(page)).to_have_count(2)
            expect(page.locator(".result-title", has_text=video.title)).to_have_count(1)
            expect(page.locator(".result-title", has_text=channel.name)).to_have_count(1)

            page.get_by_text("Filters", exact=True).click()
            page.get_by_label("Type").select_option(label="Videos")
            page.get_by_role("button", name="Apply").click()
            page.wait_for_url(re.compile(r"kind=video"))
            expect(results(page)).to_have_count(1)
            expect(results(page).first.locator(".result-title")).to_have_text(video.title)
            expect(page.get_by_label("Type")).to_have_value("video")
        finally:
            page.context.close()
