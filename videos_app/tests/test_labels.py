"""Studio labels: people read words ("Waiting to process", "Public"), while the raw
status and visibility values stay in data attributes for scripts and tests."""

import re
from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string

from conftest import make_channel, sign_in
from videos_app.models import Video, VideoStatus, Visibility
from videos_app.tests.factories import start_upload


def row_html(**fields) -> str:
    values = {
        "video_id": "v-labels",
        "channel_id": "c1",
        "owner_user_id": "u1",
        "title": "A film",
        "visibility": "public",
        "status": "queued",
        "created_at": 0,
    }
    values.update(fields)
    row = {"video": Video(**values), "final": False, "playable": False, "poster_url": ""}
    return render_to_string("videos_app/_video_row.html", {"row": row})


def visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


class TestVideoLabels:
    def test_every_status_and_visibility_has_a_human_label(self):
        """Each enum value has its own words, defined once next to the enum."""
        for status in VideoStatus:
            assert status.label and status.label != status.value
        for visibility in Visibility:
            assert visibility.label and visibility.label != visibility.value

    def test_queued_public_row_shows_words_and_keeps_machine_values(self):
        """A queued public video reads "Waiting to process" and "Public"; the raw values
        are only in attributes, never the visible text."""
        html = row_html(status="queued", visibility="public")

        text = visible_text(html)
        assert "Waiting to process" in text
        assert "Public" in text
        assert "queued" not in text.lower()
        assert not re.search(r"\bpublic\b", text)
        assert 'data-status="queued"' in html
        assert 'data-visibility="public"' in html
        assert "status-queued" in html

    @pytest.mark.parametrize(
        ("status", "visibility", "label"),
        [
            ("removed", "public", "Removed by a moderator"),
            ("ready", "public", "Published"),
            ("ready", "private", "Ready"),
            ("failed", "unlisted", "Failed"),
        ],
    )
    def test_other_statuses_read_as_words(self, status, visibility, label):
        """Final statuses get their own words too, and a private ready video is not
        called "Published"."""
        html = row_html(status=status, visibility=visibility)

        assert f'data-status="{status}">{label}</span>' in html
        assert f">{visibility.capitalize()}</span>" in html

    def test_studio_page_shows_labels(self, client):
        """The studio list itself shows the words for a new (uploading) unlisted video."""
        channel = make_channel()
        owner = channel_owner(channel)
        start_upload(actor=owner, channel=channel, visibility="unlisted")
        sign_in(client, owner)

        html = client.get("/studio/videos/").content.decode()

        assert 'data-status="uploading">Uploading</span>' in html
        assert 'data-visibility="unlisted">Unlisted</span>' in html


class TestLiveLabels:
    @pytest.mark.parametrize(
        ("status", "label"),
        [
            ("created", "Not started"),
            ("live", "Live now"),
            ("ended", "Ended"),
            ("failed", "Failed"),
        ],
    )
    def test_live_session_status_reads_as_words(self, status, label):
        """The studio live pages show a session's state in words, the value in data-status."""
        html = render_to_string("live_app/_status_label.html", {"status": status})

        assert f'data-status="{status}">{label}</span>' in html


def danger_buttons(html: str) -> list[str]:
    return re.findall(r"<button[^>]*>[^<]*</button>", html)


class TestDangerButtons:
    def test_delete_buttons_carry_the_danger_class(self):
        """Delete comment and Delete video are styled as danger, not like Like/Comment."""
        video = SimpleNamespace(video_id="v1")
        comment = SimpleNamespace(comment_id="c1", text="hi")
        comment_html = render_to_string(
            "social_app/_comment_actions.html",
            {
                "own": True,
                "kind": "viewer",
                "video": video,
                "comment": comment,
                "report_url": "/r/",
            },
        )
        row = row_html(status="ready")

        for html in (comment_html, row):
            deletes = [b for b in danger_buttons(html) if ">Delete</button>" in b]
            assert deletes, html
            assert all(re.search(r'class="[^"]*\bdanger\b', b) for b in deletes)

    @pytest.mark.parametrize(
        ("action", "danger"),
        [("remove_video", True), ("ban_user", True), ("restore_video", False), ("dismiss", False)],
    )
    def test_moderation_actions_mark_only_destructive_ones(self, action, danger):
        """Remove and ban are danger buttons; restore and dismiss are not."""
        html = render_to_string(
            "social_app/moderation/_action.html",
            {"action": action, "label": "Do it", "user_id": "u1"},
        )

        assert ('class="danger"' in html) is danger


def channel_owner(channel):
    from channels_app.selectors import user_get

    return user_get(channel.owner_user_id)
