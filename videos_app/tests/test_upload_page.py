"""The upload page as the server renders it."""

import re

import pytest

from conftest import sign_in


@pytest.fixture
def upload_page(client, user, channel):
    """The upload page's HTML for a signed-in creator who has a channel."""
    response = sign_in(client, user).get("/studio/upload/")
    assert response.status_code == 200
    return response.content.decode()


class TestUploadPage:
    def test_hidden_fields_have_no_label(self, upload_page):
        """The hidden size and type inputs are sent but show no 'Size'/'Content type' label."""
        assert re.search(r'<input type="hidden" name="size"[^>]*>', upload_page)
        assert re.search(r'<input type="hidden" name="content_type"[^>]*>', upload_page)
        labels = re.findall(r"<label[^>]*>(.*?)</label>", upload_page, flags=re.S)
        assert "Size" not in labels and "Content type" not in labels
        assert 'for="id_size"' not in upload_page
        assert 'for="id_content_type"' not in upload_page
        assert {"Channel", "Title", "Description", "Visibility", "Video file"} <= set(labels)

    def test_required_fields_are_checked_by_the_browser_too(self, upload_page):
        """The form lets the browser's own validation run: required inputs are marked."""
        form = re.search(r"<form[^>]*id=\"upload-form\"[^>]*>", upload_page).group(0)
        assert "novalidate" not in form
        title = re.search(r"<input[^>]*name=\"title\"[^>]*>", upload_page).group(0)
        assert "required" in title and 'maxlength="' in title
