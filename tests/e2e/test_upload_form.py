"""The upload form before anything is sent: the title from the file name, and messages
shown by the field they are about."""

import pytest

from conftest import make_channel, make_user
from tests.e2e.browser_helpers import log_in

pytestmark = pytest.mark.browser


def a_file(name: str) -> dict:
    """A tiny stand-in for a video: these tests never get as far as storage."""
    return {"name": name, "mimeType": "video/mp4", "buffer": b"\x00\x00\x00\x18ftypmp42"}


@pytest.fixture
def upload_page(page, live_server_url):
    creator = make_user()
    make_channel(owner=creator, name="Form Channel")
    log_in(page, live_server_url, creator)
    page.goto(f"{live_server_url}/studio/upload/")
    return page


class TestUploadForm:
    def test_title_comes_from_the_file_name(self, upload_page):
        """An empty title is filled from the file name; choosing another file replaces
        that filled-in title, but never one the person typed."""
        page = upload_page
        title = page.get_by_label("Title")
        video_file = page.get_by_label("Video file")

        video_file.set_input_files(a_file("My_holiday-video.mp4"))
        assert title.input_value() == "My holiday video"

        video_file.set_input_files(a_file("second__take.final.mov"))
        assert title.input_value() == "second take.final"

        title.fill("Our trip to the coast")
        video_file.set_input_files(a_file("third_clip.mp4"))
        assert title.input_value() == "Our trip to the coast"

    def test_a_long_file_name_is_cut_to_the_title_limit(self, upload_page):
        """The filled-in title is never longer than the title field allows."""
        page = upload_page
        limit = int(page.get_by_label("Title").get_attribute("maxlength"))
        page.get_by_label("Video file").set_input_files(a_file("a" * (limit + 50) + ".mp4"))
        assert page.get_by_label("Title").input_value() == "a" * limit

    def test_a_cleared_title_is_stopped_by_the_browser(self, upload_page):
        """With the title cleared, the browser's own check stops the upload: nothing is sent."""
        page = upload_page
        title = page.get_by_label("Title")
        page.get_by_label("Video file").set_input_files(a_file("Clip.mp4"))
        posts = []
        page.on("request", lambda r: r.method == "POST" and posts.append(r.url))

        title.fill("")
        page.get_by_role("button", name="Upload video").click()
        assert title.evaluate("el => el.validity.valueMissing")
        page.wait_for_timeout(300)
        assert posts == []

    def test_a_missing_title_is_reported_by_the_title(self, upload_page):
        """A title of spaces gets past the browser's check; the site's refusal ("This
        field is required.") shows by the title, not by the button, and the next attempt
        clears it before showing the new answer."""
        page = upload_page
        title = page.get_by_label("Title")
        page.get_by_label("Video file").set_input_files(a_file("Clip.mp4"))

        title.fill("   ")
        page.get_by_role("button", name="Upload video").click()
        message = page.locator("#id_title_error")
        message.wait_for()
        assert message.inner_text() == "This field is required."
        assert page.locator("#upload-error").inner_text() == ""
        field = page.locator(".field", has=page.locator("#id_title"))
        assert field.locator(".error").inner_text() == "This field is required."
        assert title.get_attribute("aria-invalid") == "true"
        assert "id_title_error" in title.get_attribute("aria-describedby").split()

        with page.expect_response(lambda r: r.request.method == "POST"):
            page.get_by_role("button", name="Upload video").click()
        page.locator("#id_title_error").wait_for()
        assert page.locator("#id_title_error .error").count() == 1, "the old message stayed"


DROP_FILE = """([zone, name]) => {
  const data = new DataTransfer();
  data.items.add(new File([new Uint8Array([0, 0, 0, 24])], name, {type: "video/mp4"}));
  const fire = (type) => zone.dispatchEvent(
    new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer: data}));
  fire("dragenter");
  const notHandled = fire("dragover");  // false once the page takes the drop
  const highlighted = zone.classList.contains("dragover");
  fire("drop");
  return {notHandled, highlighted, after: zone.classList.contains("dragover")};
}"""


class TestDropZone:
    def test_a_dropped_file_is_chosen_and_names_the_title(self, upload_page):
        """Dropping a file on the box highlights it while over it, puts the file in the
        file input and fills the title from its name, as choosing it would."""
        page = upload_page
        zone = page.locator("#drop-zone")
        assert "Drag a video here or choose a file" in zone.inner_text()

        result = zone.evaluate(
            "(zone, name) => (" + DROP_FILE + ")([zone, name])", "Beach_day-2024.mp4"
        )

        assert result == {"notHandled": False, "highlighted": True, "after": False}
        assert page.get_by_label("Video file").evaluate("el => el.files[0].name") == (
            "Beach_day-2024.mp4"
        )
        assert page.get_by_label("Title").input_value() == "Beach day 2024"
        assert page.get_by_role("button", name="Upload video").is_enabled()
