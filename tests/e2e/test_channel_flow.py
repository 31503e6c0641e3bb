"""A person's first steps, in a real browser: sign up, create a channel, add an avatar."""

import pytest
from playwright.sync_api import expect

from channels_app.models import Channel
from channels_app.tests.factories import CONFIRM_LINK, mails_to
from channels_app.tests.test_channels import png_bytes
from conftest import STRONG_PASSWORD, make_channel, make_user, unique
from tests.e2e.browser_helpers import log_in

pytestmark = pytest.mark.browser


class TestChannelFlow:
    def test_sign_up_create_channel_and_upload_avatar(self, page, live_server_url, settings):
        """Sign up and follow the emailed link, create a channel, upload an avatar to S3:
        the channel page shows it loaded."""
        handle = unique("e2e")
        email = f"{handle}@example.com"
        # The live server runs in this process: its emails land in the test outbox, with
        # links on the site's own address.
        settings.SITE_URL = live_server_url

        page.goto(f"{live_server_url}/accounts/signup/")
        page.get_by_label("Email", exact=True).fill(email)
        page.get_by_label("Display name", exact=True).fill("Browser Creator")
        page.get_by_label("Password", exact=True).fill(STRONG_PASSWORD)
        page.get_by_role("button", name="Sign up").click()
        expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
        expect(page.get_by_role("button", name="Log out")).to_have_count(0)

        [message] = mails_to(email)
        page.goto(CONFIRM_LINK.search(message.body).group(0))
        page.get_by_role("button", name="Create my account").click()
        page.wait_for_url(f"{live_server_url}/")
        expect(page.get_by_text("Welcome, Browser Creator!")).to_be_visible()
        page.get_by_label("Account: Browser Creator").click()
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
        page.keyboard.press("Escape")

        page.get_by_role("link", name="Studio", exact=True).click()
        expect(page.get_by_role("heading", name="Studio", exact=True)).to_be_visible()
        page.get_by_role("link", name="Create channel").click()
        page.get_by_label("Name", exact=True).fill("Browser Cats")
        page.get_by_label("Handle", exact=True).fill(handle)
        page.get_by_label("Description", exact=True).fill("Made by chromium.")
        page.get_by_role("button", name="Create channel").click()
        expect(page.get_by_role("heading", name=f"Edit channel @{handle}")).to_be_visible()

        page.get_by_label("Avatar image", exact=True).set_input_files(
            {"name": "avatar.png", "mimeType": "image/png", "buffer": png_bytes(32, 32)}
        )
        avatar_section = page.locator(".image-upload[data-kind=avatar]")
        expect(avatar_section.locator(".upload-status")).to_have_text("Saved.")

        page.goto(f"{live_server_url}/c/{handle}/")
        expect(page.get_by_role("heading", name="Browser Cats")).to_be_visible()
        avatar = page.locator("img.avatar")
        expect(avatar).to_be_visible()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=avatar.element_handle()
        )
        assert avatar.evaluate("img => img.naturalWidth") == 32
        assert page.problems == []

    def test_image_chosen_before_the_page_script_ran_is_still_uploaded(self, page, live_server_url):
        """A file picked while the upload script is still loading is sent once it loads."""
        owner = make_user()
        channel = make_channel(owner)
        log_in(page, live_server_url, owner)

        held = []
        page.route("**/js/image_upload.js", lambda route: held.append(route))
        page.goto(
            f"{live_server_url}/studio/channels/{channel.channel_id}/edit/",
            wait_until="commit",
        )
        page.get_by_label("Banner image", exact=True).set_input_files(
            {"name": "banner.png", "mimeType": "image/png", "buffer": png_bytes(64, 16)}
        )
        for _ in range(100):  # route handlers run while the driver is waited on
            if held:
                break
            page.wait_for_timeout(50)
        assert len(held) == 1, "the upload script was not requested"
        banner_status = page.locator(".image-upload[data-kind=banner] .upload-status")
        assert banner_status.inner_text() == ""  # nothing handled the choice yet
        held[0].continue_()

        expect(banner_status).to_have_text("Saved.")
        assert Channel.get(channel.channel_id).banner_key
        assert page.problems == []
