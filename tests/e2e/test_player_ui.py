"""The watch page's player is one Plyr control bar over hls.js: no native controls, a
Quality menu fed by hls.js's levels, YouTube's keyboard shortcuts, and nothing fetched
from anywhere but the site and the media storage (no Plyr CDN), with no CSP violation."""

from urllib.parse import urlsplit

import pytest

from tests.e2e.browser_helpers import transcoded_video
from videoplatform.security import media_origins
from videos_app.tests.media_samples import make_sample

pytestmark = pytest.mark.browser

# Collects Content-Security-Policy violations from the page's start (an inline style or a
# script from elsewhere would be blocked and reported here).
RECORD_CSP_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


@pytest.fixture(scope="module")
def two_rung_video(tmp_path_factory):
    """A ready 480p video of 30 s: two levels (480p, 360p) and room for 10 s jumps."""
    path = make_sample(
        str(tmp_path_factory.mktemp("player-ui") / "clip480.mp4"),
        width=854,
        height=480,
        seconds=30,
    )
    return transcoded_video(path, "Player UI")


def open_watch_page(page, live_server_url, video):
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    page.goto(f"{live_server_url}/watch/{video.video_id}/")
    page.wait_for_function(
        "() => window.videoPlayerUi && window.videoPlayer && window.videoPlayer.levels.length >= 2"
    )


def open_quality_menu(page):
    """Settings (unless its menu is open), then Quality, as a viewer clicks them;
    returns the quality items."""
    settings = page.locator(".plyr__controls .plyr__menu > button[data-plyr='settings']")
    # While playing, Plyr hides an idle control bar (menu and all): the pointer on the
    # bar brings it back and keeps it.
    settings.hover()
    page.wait_for_function("() => !document.querySelector('.plyr--hide-controls')")
    if settings.get_attribute("aria-expanded") != "true":
        settings.click()
    page.get_by_role("menuitem", name="Quality").click()
    items = page.locator("[data-plyr='quality'][role='menuitemradio']")
    items.first.wait_for()
    return items


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def test_one_control_bar_and_nothing_from_elsewhere(page, live_server_url, two_rung_video):
    """Exactly one control bar, the native one switched off, icons from our static files;
    playing fetches only from the site and the media storage and breaks no CSP rule."""
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    open_watch_page(page, live_server_url, two_rung_video)

    assert page.locator(".plyr__controls").count() == 1
    assert page.locator("#video").get_attribute("controls") is None
    assert not page.evaluate("document.getElementById('video').controls")
    for name in ("play", "mute", "captions", "pip", "fullscreen"):
        assert page.locator(f".plyr__controls button[data-plyr='{name}']").count() == 1, name
    assert page.locator(".plyr__controls .plyr__menu > button[data-plyr='settings']").count() == 1
    assert page.locator(".plyr__controls .plyr__progress input[type=range]").count() == 1
    assert page.locator(".plyr__controls .plyr__time--current").count() == 1
    icon = page.locator(".plyr__controls button[data-plyr='play'] use").first.get_attribute("href")
    assert icon.startswith("/static/vendor/plyr.svg#"), icon

    page.evaluate("document.getElementById('video').muted = true")
    page.locator(".plyr__controls button[data-plyr='play']").click()
    page.wait_for_function("() => document.getElementById('video').currentTime > 1")

    allowed = {live_server_url, *media_origins()}
    foreign = [u for u in requested if u.startswith("http") and origin(u) not in allowed]
    assert not foreign, foreign
    assert page.evaluate("window.cspViolations") == []
    assert not page.problems, page.problems


def test_quality_menu_lists_levels_and_sets_hls_level(page, live_server_url, two_rung_video):
    """Settings > Quality offers Auto and each height; picking one makes hls.js play
    that level, and Auto hands the choice back to hls.js."""
    open_watch_page(page, live_server_url, two_rung_video)
    heights = page.evaluate("window.videoPlayer.levels.map(l => l.height)")
    assert sorted(heights) == [360, 480]

    items = open_quality_menu(page)
    labels = [text.split("\n")[0].strip() for text in items.all_inner_texts()]
    assert labels == ["Auto", "480p", "360p"], labels
    assert items.first.get_attribute("aria-checked") == "true"  # Auto to start with

    page.evaluate("document.getElementById('video').muted = true")
    page.evaluate("document.getElementById('video').play()")
    items.filter(has_text="360p").click()
    wanted = heights.index(360)
    page.wait_for_function(f"() => window.videoPlayer.currentLevel === {wanted}")
    assert not page.evaluate("window.videoPlayer.autoLevelEnabled")
    settings_value = page.get_by_role("menuitem", name="Quality").locator(".plyr__menu__value")
    assert settings_value.inner_text() == "360p"

    # Paused, Plyr keeps its control bar (and menu) up for the next pick.
    page.evaluate("document.getElementById('video').pause()")
    open_quality_menu(page).filter(has_text="Auto").click()
    page.wait_for_function("() => window.videoPlayer.autoLevelEnabled")


def test_keyboard_shortcuts(page, live_server_url, two_rung_video):
    """With the player focused: k plays and pauses, l and j jump 10 s, the arrows step,
    and f asks for fullscreen on the player."""
    open_watch_page(page, live_server_url, two_rung_video)
    video = "document.getElementById('video')"
    page.locator(".plyr").focus()

    page.keyboard.press("k")
    page.wait_for_function(f"() => !{video}.paused && {video}.currentTime > 0.5")
    page.keyboard.press("k")
    page.wait_for_function(f"() => {video}.paused")

    start = page.evaluate(f"{video}.currentTime")
    page.keyboard.press("l")
    after_l = page.evaluate(f"{video}.currentTime")
    assert after_l == pytest.approx(start + 10, abs=0.5)
    assert not page.evaluate(f"{video}.loop"), "l still toggles Plyr's loop"
    page.keyboard.press("j")
    assert page.evaluate(f"{video}.currentTime") == pytest.approx(start, abs=0.5)
    page.keyboard.press("ArrowRight")
    assert page.evaluate(f"{video}.currentTime") == pytest.approx(start + 5, abs=0.5)
    page.keyboard.press("ArrowLeft")
    assert page.evaluate(f"{video}.currentTime") == pytest.approx(start, abs=0.5)

    page.keyboard.press("m")
    assert page.evaluate(f"{video}.muted")
    page.keyboard.press("m")
    page.evaluate(f"{video}.volume = 0.5")
    page.keyboard.press("ArrowDown")
    assert page.evaluate(f"{video}.volume") == pytest.approx(0.4, abs=0.01)

    page.keyboard.press("f")
    page.wait_for_function(
        "() => document.fullscreenElement && document.fullscreenElement.classList.contains('plyr')"
    )
    assert page.evaluate("window.videoPlayerUi.fullscreen.active")
    assert not page.problems, page.problems
