"""The home page with its "Live now" shelf and video cards, and each tab of a channel
page (with a banner, an avatar and a stream on air), fit a 360 px phone and a 1366 px
desktop without scrolling sideways, in the light and the dark theme, with long unbroken
titles and names; a card's title takes two lines at most and the banner keeps 6:1."""

import pytest

from channels_app.models import Channel
from channels_app.selectors import channel_get
from channels_app.tests.test_channels import png_bytes
from conftest import make_channel, make_user
from live_app import services as live_services
from social_app.tests.factories import make_ready_video
from tests.e2e.browser_helpers import tracked_page
from tests.e2e.test_layout_widths import DESKTOP, LONG_WORD, PHONE, overflow
from videoplatform.aws import s3_client
from videoplatform.events import handle_event, make_event
from videos_app.models import Video

pytestmark = pytest.mark.browser


def put_media(key: str, body: bytes) -> str:
    from django.conf import settings

    s3_client().put_object(
        Bucket=settings.S3_MEDIA_BUCKET, Key=key, Body=body, ContentType="image/png"
    )
    return key


@pytest.fixture(scope="module")
def cards_scene(live_server_url):
    owner = make_user()
    channel = make_channel(owner=owner, name=f"The {LONG_WORD} Cards Channel")
    cid = channel.channel_id
    channel_get(cid).update(
        actions=[
            Channel.avatar_key.set(put_media(f"channels/{cid}/avatar/a.png", png_bytes(64, 64))),
            Channel.banner_key.set(
                put_media(f"channels/{cid}/banner/b.png", png_bytes(1200, 200, (30, 90, 160)))
            ),
            Channel.description.set(f"About https://example.com/{LONG_WORD}/{LONG_WORD}"),
        ]
    )
    for n, seconds in enumerate((75, 3725, None)):
        video = make_ready_video(
            owner=owner, channel=channel, title=f"{LONG_WORD}{LONG_WORD} {n} too long for two lines"
        )
        poster = put_media(f"posters/{video.video_id}.png", png_bytes(32, 18))
        actions = [Video.poster_key.set(poster)]
        if seconds:
            actions.append(Video.duration_s.set(seconds))
        video.update(actions=actions)
    session = live_services.live_session_create(
        actor=owner, channel_id=cid, title=f"Live {LONG_WORD}{LONG_WORD}"
    )
    handle_event(
        make_event(
            source="aws.ivs",
            detail_type="IVS Stream State Change",
            detail={"event_name": "Stream Start", "channel_name": session.stream_id},
            resources=[session.channel_arn],
        )
    )
    base = f"{live_server_url}/c/{channel.handle}/"
    return {
        "home": f"{live_server_url}/",
        "videos": base,
        "live": base + "?tab=live",
        "about": base + "?tab=about",
    }


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", ["home", "videos", "live", "about"])
def test_cards_shelf_and_tabs_fit_phone_and_desktop(browser, cards_scene, name, scheme):
    page = tracked_page(browser)
    page.emulate_media(color_scheme=scheme)
    try:
        too_wide = {}
        for size in (PHONE, DESKTOP):
            page.set_viewport_size(size)
            response = page.goto(cards_scene[name])
            assert response.status == 200
            page.wait_for_load_state("networkidle")
            too_wide[size["width"]] = overflow(page)
            if name == "home":
                assert page.locator(".live-shelf .live-badge").count() >= 1
            if name == "videos":
                title = page.locator(".video-card .title").first
                line = float(title.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)"))
                assert title.bounding_box()["height"] <= 2 * line + 1
            if name != "home":
                banner = page.locator(".channel-header .banner").bounding_box()
                assert abs(banner["width"] / banner["height"] - 6) < 0.1, banner
        if any(too_wide.values()):
            pytest.fail(f"{name} ({scheme}) too wide: {too_wide}", pytrace=False)
        assert page.problems == []
    finally:
        page.context.close()
