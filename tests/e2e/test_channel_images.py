"""The channel editor shows each image as the channel page will: the banner across the
card at the shown ratio (never its natural 2048 px), the avatar as a circle; a chosen
file is shown so before it is sent; the recommended sizes are written beside them."""

import pytest
from playwright.sync_api import expect

from channels_app.images import BANNER_RECOMMENDED_PX, BANNER_SHOWN_RATIO
from channels_app.tests.test_channels import png_bytes
from conftest import make_channel, make_user
from tests.e2e.browser_helpers import log_in

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1366, "height": 850}

BOXES = """img => {
  const box = img.getBoundingClientRect();
  const frame = img.closest(".image-upload").getBoundingClientRect();
  return {width: box.width, height: box.height, frameWidth: frame.width,
          radius: getComputedStyle(img.parentElement).borderRadius,
          fit: getComputedStyle(img).objectFit, src: img.src};
}"""


def test_chosen_images_are_previewed_as_the_channel_page_shows_them(page, live_server_url):
    owner = make_user()
    channel = make_channel(owner)
    page.set_viewport_size(DESKTOP)
    log_in(page, live_server_url, owner)
    page.goto(f"{live_server_url}/studio/channels/{channel.channel_id}/edit/")
    width, height = BANNER_RECOMMENDED_PX
    expect(page.locator("#banner-file_helptext")).to_contain_text(
        f"Banner: at least {width} × {height} px, shown at "
        f"{BANNER_SHOWN_RATIO[0]}:{BANNER_SHOWN_RATIO[1]}; keep text in the middle"
    )
    expect(page.locator("#avatar-file_helptext")).to_contain_text("shown as a circle")

    # Hold the uploads: what shows meanwhile is the chosen file itself.
    held = []
    page.route("**/images/*/start/", lambda route: held.append(route))
    page.get_by_label("Banner image", exact=True).set_input_files(
        {"name": "wide.png", "mimeType": "image/png", "buffer": png_bytes(2048, 1152)}
    )
    page.get_by_label("Avatar image", exact=True).set_input_files(
        {"name": "face.png", "mimeType": "image/png", "buffer": png_bytes(300, 200)}
    )
    banner = page.locator(".image-upload[data-kind=banner] img.preview")
    avatar = page.locator(".image-upload[data-kind=avatar] img.preview")
    for img in (banner, avatar):
        expect(img).to_be_visible()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=img.element_handle()
        )

    shown = banner.evaluate(BOXES)
    assert shown["src"].startswith("blob:"), "the chosen file is shown before it is sent"
    assert shown["width"] <= shown["frameWidth"], shown
    assert shown["width"] < 2048
    across, down = BANNER_SHOWN_RATIO
    assert abs(shown["width"] / shown["height"] - across / down) < 0.05, shown
    assert shown["fit"] == "cover"

    face = avatar.evaluate(BOXES)
    assert face["src"].startswith("blob:")
    assert abs(face["width"] - face["height"]) < 1 and face["radius"] == "50%", face
    assert face["fit"] == "cover"

    for route in held:
        route.continue_()
    for kind in ("banner", "avatar"):
        expect(page.locator(f".image-upload[data-kind={kind}] .upload-status")).to_have_text(
            "Saved."
        )
    assert not banner.evaluate("img => img.src").startswith("blob:")
    assert banner.evaluate(BOXES)["width"] <= banner.evaluate(BOXES)["frameWidth"]
