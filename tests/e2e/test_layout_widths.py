"""Every kind of page fits a 360 px phone and a 1366 px desktop without scrolling sideways,
logged in and logged out, even with long unbroken titles, names, handles and links; on
the phone the navigation is a drawer behind a menu button and Log out sits in the account
menu, with or without JavaScript; the bell keeps an accessible name."""

import re
import secrets
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from channels_app.accounts import user_set_role
from channels_app.models import Role
from conftest import make_channel, make_user
from live_app.services import live_session_create
from social_app.moderation import report_dismiss
from social_app.notifications import notification_create
from social_app.reports import report_create
from social_app.services import comment_post, like_set, subscription_set
from social_app.tests.factories import make_ready_video
from tests.e2e.browser_helpers import log_in, tracked_page
from videos_app.search.indexer import drain_until_idle
from videos_app.search.loader import get_search_backend

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1366, "height": 850}
# One word with no place to break, wider than a phone at any heading size.
LONG_WORD = "Supercalifragilisticexpialidocious"

ANONYMOUS_PAGES = (
    "home",
    "watch",
    "channel",
    "live",
    "login",
    "signup",
    "search",
    "search_empty",
    "suggestions",
    "not_found",
)
MEMBER_PAGES = (
    "home",
    "search",
    "suggestions",
    "watch",
    "channel",
    "studio",
    "studio_videos",
    "upload",
    "studio_live",
    "notifications",
    "subscriptions",
    "liked",
    "moderation",
    "report",
    "live",
    "studio_live_session",
    "video_edit",
    "channel_edit",
    "channel_create",
    "moderation_target",
    "moderation_user",
    "moderation_audit",
    "not_found",
)

# The page's width, and when it is too wide the elements that stick out past the right
# edge (the innermost few), so that a failure names its culprit.
MEASURE = """() => {
  const limit = window.innerWidth;
  const width = document.documentElement.scrollWidth;
  if (width <= limit) return {width, limit, culprits: []};
  const right = (el) => {
    const box = el.getBoundingClientRect();
    return Math.max(box.right, box.left + el.scrollWidth);  // text spilling out counts
  };
  const sticking = [...document.body.querySelectorAll("*")].filter((el) => right(el) > limit + 0.5);
  const innermost = sticking.filter((el) => !sticking.some((o) => o !== el && el.contains(o)));
  const name = (el) => {
    const classes = typeof el.className === "string" ? el.className.trim() : "";
    const id = el.id ? "#" + el.id : "";
    return el.tagName.toLowerCase() + id + (classes ? "." + classes.replace(/ +/g, ".") : "");
  };
  const culprits = innermost.slice(0, 5).map((el) => `${name(el)} right=${Math.round(right(el))}`);
  return {width, limit, culprits};
}"""


@pytest.fixture(scope="module")
def scene(live_server_url):
    """A moderator who subscribes to, likes, comments on and reports a creator's video,
    and has a channel, a video and a live session of their own; every text that could be
    long is long."""
    creator = make_user(display_name=f"Creator {LONG_WORD}")
    tag = secrets.token_hex(4)
    channel = make_channel(
        owner=creator,
        name=f"The {LONG_WORD} Channel",
        handle=f"wide-{tag}-{'x' * 16}",
        description=f"Links: https://example.com/{LONG_WORD}/{LONG_WORD}/{LONG_WORD}",
    )
    video = make_ready_video(owner=creator, channel=channel, title=f"{LONG_WORD}{LONG_WORD}")
    member = make_user(display_name=f"Member {LONG_WORD}")
    user_set_role(user=member, role=Role.MODERATOR, granted=True)
    own_channel = make_channel(owner=member, name=f"Own {LONG_WORD}")
    own_video = make_ready_video(
        owner=member, channel=own_channel, title=f"Own {LONG_WORD}{LONG_WORD}"
    )
    session = live_session_create(
        actor=member, channel_id=own_channel.channel_id, title=f"Live {LONG_WORD}{LONG_WORD}"
    )
    subscription_set(user=member, channel_id=channel.channel_id, subscribed=True)
    like_set(user=member, video_id=video.video_id, liked=True)
    comment_post(
        user=member,
        video_id=video.video_id,
        text=f"See https://example.com/{LONG_WORD}/{LONG_WORD}/{LONG_WORD} {LONG_WORD * 2}",
    )
    report_create(
        user=member, target_type="video", target_id=video.video_id, reason="spam", note=LONG_WORD
    )
    # A second video reported and dismissed: the audit log has a long row of its own.
    dismissed = make_ready_video(owner=creator, channel=channel, title=f"Dismissed {LONG_WORD}")
    report_create(
        user=member, target_type="video", target_id=dismissed.video_id, reason="spam", note="x"
    )
    report_dismiss(moderator=member, target_key=f"video#{dismissed.video_id}", reason=LONG_WORD * 2)
    notification_create(
        user_id=member.user_id,
        kind="video",
        text=f"{channel.name} published “{video.title}”",
        link=f"/watch/{video.video_id}/",
    )
    # The channel and its videos are found by its name and handle; the box suggests them.
    drain_until_idle(backend=get_search_backend())
    paths = {
        "home": "/",
        "search": f"/search/?q={LONG_WORD}+{tag}",
        "search_empty": f"/search/?q={LONG_WORD}+{tag}+nothing&duration=long",
        "suggestions": "/",
        "watch": f"/watch/{video.video_id}/",
        "channel": f"/c/{channel.handle}/",
        "login": "/accounts/login/",
        "signup": "/accounts/signup/",
        "studio": "/studio/",
        "studio_videos": "/studio/videos/",
        "upload": "/studio/upload/",
        "studio_live": "/studio/live/",
        "notifications": "/notifications/",
        "subscriptions": "/feed/subscriptions/",
        "liked": "/feed/liked/",
        "moderation": "/moderation/",
        "report": f"/report/?type=video&id={video.video_id}",
        "live": f"/live/{session.stream_id}/",
        "studio_live_session": f"/studio/live/{session.stream_id}/",
        "video_edit": f"/studio/videos/{own_video.video_id}/edit/",
        "channel_edit": f"/studio/channels/{own_channel.channel_id}/edit/",
        "channel_create": "/studio/channels/new/",
        "moderation_target": f"/moderation/targets/{quote('video#' + video.video_id)}/",
        "moderation_user": f"/moderation/users/{creator.user_id}/",
        "moderation_audit": "/moderation/audit/",
        "not_found": f"/no-such-page/{LONG_WORD}{LONG_WORD}/",
    }
    return {
        "member": member,
        "urls": {k: live_server_url + p for k, p in paths.items()},
        "typed": f"{tag} {LONG_WORD[:5].lower()}",
    }


@pytest.fixture(scope="module")
def viewers(browser, scene, live_server_url):
    """One page per kind of viewer for the whole module (contexts are cheap, loads are not)."""
    anonymous = tracked_page(browser)
    member = tracked_page(browser)
    log_in(member, live_server_url, scene["member"])
    yield {"anonymous": anonymous, "member": member}
    anonymous.context.close()
    member.context.close()


def settled(page, *, signed_in: bool):
    """Wait for htmx to fill the bell, the one part of the header loaded after the page."""
    if signed_in:
        page.locator("#bell .unread-count").wait_for(state="attached")


def open_suggestions(page, scene) -> None:
    """Type in the header's box until its suggestions are open."""
    box = page.locator("#site-search")
    box.fill("")
    box.press_sequentially(scene["typed"], delay=20)
    page.locator("#search-suggestions .suggestion-list a").first.wait_for(state="visible")


# What each page needs after loading to be in the state it is named for.
PREPARE = {"suggestions": open_suggestions}


def show(page, scene, name: str):
    """Open the scene's page ``name`` (and bring it to its state); the response."""
    response = page.goto(scene["urls"][name])
    if name in PREPARE:
        PREPARE[name](page, scene)
    return response


def overflow(page) -> str:
    """'' when the page fits its viewport, else what is too wide."""
    measured = page.evaluate(MEASURE)
    if measured["width"] <= measured["limit"]:
        return ""
    return f"{measured['width']} px wide at {measured['limit']} px: {measured['culprits']}"


@pytest.mark.parametrize(
    ("viewer", "name"),
    [("anonymous", name) for name in ANONYMOUS_PAGES] + [("member", n) for n in MEMBER_PAGES],
)
def test_page_fits_phone_and_desktop(viewers, scene, viewer, name):
    """The page is no wider than the window at 360 px and at 1366 px."""
    page = viewers[viewer]
    page.set_viewport_size(PHONE)
    response = show(page, scene, name)
    assert response.status == (404 if name == "not_found" else 200), response.url
    settled(page, signed_in=viewer == "member")
    too_wide = {}
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        too_wide[size["width"]] = overflow(page)
        if name == "suggestions":  # fixed on a phone: it never widens the page itself
            box = page.locator("#search-suggestions .suggestion-list").bounding_box()
            if not (box and box["x"] >= 0 and box["x"] + box["width"] <= size["width"]):
                too_wide[size["width"]] += f" suggestions at {box}"
    if any(too_wide.values()):
        pytest.fail(f"{viewer} {name} too wide: {too_wide}", pytrace=False)


class TestHeader:
    def test_phone_drawer_and_account_menu_and_the_bell_is_named(self, viewers, scene):
        """At 360 px the navigation waits in a drawer behind a Menu button that says
        whether it is open; Log out is in the account menu; the bell is named."""
        page = viewers["member"]
        page.set_viewport_size(PHONE)
        page.goto(scene["urls"]["home"])
        settled(page, signed_in=True)
        bell = page.get_by_role("link", name=re.compile("notifications", re.IGNORECASE))
        expect(bell).to_be_visible()
        assert page.locator("#bell svg[aria-hidden=true]").count() == 1
        subscriptions = page.locator("#site-nav").get_by_role("link", name="Subscriptions")
        menu = page.get_by_role("button", name="Menu")
        expect(subscriptions).to_be_hidden()
        expect(menu).to_have_attribute("aria-expanded", "false")
        controlled = menu.get_attribute("aria-controls")
        assert controlled and page.locator(f"#{controlled}").count() == 1

        menu.click()
        expect(menu).to_have_attribute("aria-expanded", "true")
        expect(subscriptions).to_be_visible()
        box = subscriptions.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
        assert overflow(page) == ""
        page.keyboard.press("Escape")
        expect(menu).to_have_attribute("aria-expanded", "false")
        expect(subscriptions).to_be_hidden()

        log_out = page.get_by_role("button", name="Log out")
        expect(log_out).to_be_hidden()
        page.locator(".account-menu summary").click()
        expect(log_out).to_be_visible()
        box = log_out.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
        page.keyboard.press("Escape")
        expect(log_out).to_be_hidden()

    def test_desktop_header_is_one_row_and_the_navigation_is_a_column(self, viewers, scene):
        """At 1366 px the header is one row without a Menu button, and the navigation
        stands on the left of the page."""
        page = viewers["member"]
        page.set_viewport_size(DESKTOP)
        page.goto(scene["urls"]["home"])
        settled(page, signed_in=True)
        expect(page.get_by_role("button", name="Menu")).to_be_hidden()
        items = page.locator("header").locator("a:visible, summary:visible")
        boxes = [items.nth(i).bounding_box() for i in range(items.count())]
        middles = [box["y"] + box["height"] / 2 for box in boxes]
        assert len(boxes) >= 4 and max(middles) - min(middles) < 8, boxes
        nav = page.locator("#site-nav")
        expect(nav.get_by_role("link", name="Subscriptions")).to_be_visible()
        nav_box, main_box = nav.bounding_box(), page.locator("main").bounding_box()
        assert nav_box["x"] + nav_box["width"] <= main_box["x"] + 1, (nav_box, main_box)

    def test_phone_menus_work_without_javascript(self, browser, scene, live_server_url):
        """With JavaScript off the Menu button still opens the drawer and the account
        menu still opens to Log out."""
        page = browser.new_context(java_script_enabled=False, viewport=PHONE).new_page()
        try:
            log_in(page, live_server_url, scene["member"])
            subscriptions = page.locator("#site-nav").get_by_role("link", name="Subscriptions")
            expect(subscriptions).to_be_hidden()
            page.get_by_role("button", name="Menu").click()
            expect(subscriptions).to_be_visible()
            assert overflow(page) == ""
            page.get_by_role("button", name="Menu").click()
            log_out = page.get_by_role("button", name="Log out")
            expect(log_out).to_be_hidden()
            page.locator(".account-menu summary").click()
            expect(log_out).to_be_visible()
        finally:
            page.context.close()
