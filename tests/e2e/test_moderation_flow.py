"""Report, review, remove, ban: a viewer, a moderator and a creator in three browsers,
around a video that was really uploaded and transcoded."""

import re

import pytest
from playwright.sync_api import expect

from channels_app.accounts import user_set_role
from channels_app.models import Role
from conftest import STRONG_PASSWORD, make_channel, make_user
from tests.e2e.browser_helpers import log_in, tracked_page, transcoded_video
from videos_app.models import VideoStatus
from videos_app.selectors import video_get
from videos_app.tests.media_samples import make_sample

pytestmark = pytest.mark.browser

REMOVAL_REASON = "Spam links in the description and the video"
BAN_REASON = "Repeated spam uploads"


@pytest.fixture
def moderator_page(browser):
    page = tracked_page(browser)
    yield page
    page.context.close()


@pytest.fixture
def creator_page(browser):
    page = tracked_page(browser)
    yield page
    page.context.close()


@pytest.fixture(scope="module")
def sample_clip(tmp_path_factory):
    return make_sample(
        str(tmp_path_factory.mktemp("moderation") / "clip.mp4"), width=640, height=360, seconds=3
    )


def unexpected_problems(page, *, allowed: tuple[str, ...] = ()) -> list[str]:
    return [p for p in page.problems if not any(a in p for a in allowed)]


class TestModerationFlow:
    def test_report_remove_notify_audit_ban(
        self, page, moderator_page, creator_page, live_server_url, sample_clip
    ):
        """A viewer reports a playing video; a moderator finds it in /moderation/, removes it
        with a reason; the viewer's player can no longer load it and the watch page is 404;
        the creator sees "removed" with the reason in the studio and a notification; the
        audit log lists the removal; a ban from the user page makes the next login fail."""
        base = live_server_url
        creator = make_user(display_name="Spammy Creator")
        channel = make_channel(owner=creator, name="Spam Channel")
        video = transcoded_video(
            sample_clip, "Totally legit video", creator=creator, channel=channel
        )
        viewer = make_user(display_name="Careful Viewer")
        moderator = make_user(display_name="Mona Moderator")
        user_set_role(user=moderator, role=Role.MODERATOR, granted=True)
        watch_url = f"{base}/watch/{video.video_id}/"
        playlist_url = f"/watch/{video.video_id}/hls/master.m3u8"

        # The viewer watches (it really plays), then reports it from the watch page.
        viewer_page = page
        log_in(viewer_page, base, viewer)
        viewer_page.goto(watch_url)
        viewer_page.wait_for_function(
            "() => window.videoPlayer && window.videoPlayer.levels.length >= 1", timeout=30_000
        )
        viewer_page.evaluate("document.getElementById('video').muted = true")
        viewer_page.evaluate("document.getElementById('video').play()")
        viewer_page.wait_for_function(
            "() => document.getElementById('video').currentTime > 0.5", timeout=30_000
        )
        viewer_page.evaluate("document.getElementById('video').pause()")
        viewer_page.get_by_role("link", name="Report", exact=True).click()
        viewer_page.wait_for_url(re.compile(r"/report/\?type=video&id="))
        viewer_page.get_by_label("Reason").select_option("spam")
        viewer_page.get_by_label("Details (optional)").fill("Links to a scam site")
        viewer_page.get_by_role("button", name="Report", exact=True).click()
        viewer_page.wait_for_url(watch_url)
        expect(viewer_page.get_by_text("A moderator will review your report")).to_be_visible()

        # The moderator finds it in the queue, reviews it and removes it with a reason.
        log_in(moderator_page, base, moderator)
        moderator_page.goto(f"{base}/moderation/")
        item = moderator_page.locator(f'li.queue-item[data-target="video#{video.video_id}"]')
        expect(item).to_contain_text("Totally legit video")
        expect(item.locator(".report-count")).to_have_text("1 report")
        expect(item).to_contain_text("spam")
        expect(item.locator(".notes")).to_contain_text("Links to a scam site")
        item.get_by_role("link", name="Review").click()
        moderator_page.wait_for_url(re.compile(r"/moderation/targets/"))
        expect(moderator_page.locator("table.reports")).to_contain_text("Links to a scam site")
        removal = moderator_page.locator('form[data-action="remove_video"]')
        removal.get_by_label("Reason for “Remove video”").fill(REMOVAL_REASON)
        removal.get_by_role("button", name="Remove video").click()
        expect(moderator_page.get_by_text("Done: remove video.")).to_be_visible()
        assert video_get(video.video_id, consistent=True).status == VideoStatus.REMOVED

        # The viewer's open player can no longer load the playlist; the page is gone.
        status = viewer_page.evaluate(
            "url => fetch(url, {credentials: 'same-origin'}).then(r => r.status)", playlist_url
        )
        assert status == 404
        response = viewer_page.goto(watch_url)
        assert response.status == 404
        assert viewer_page.request.get(base + playlist_url).status == 404
        assert video.video_id not in viewer_page.goto(f"{base}/").text()

        # The creator sees the removal and its reason in the studio, and a notification.
        log_in(creator_page, base, creator)
        creator_page.goto(f"{base}/studio/videos/")
        row = creator_page.locator(f"#video-{video.video_id}")
        expect(row.locator(".status")).to_have_attribute("data-status", "removed")
        expect(row.locator(".status")).to_have_text("Removed by a moderator")
        expect(row.locator(".reason")).to_have_text(REMOVAL_REASON)
        creator_page.goto(f"{base}/notifications/")
        expect(
            creator_page.locator("li.notification", has_text="Totally legit video")
        ).to_contain_text(f"was removed by a moderator: {REMOVAL_REASON}")

        # The removal is in the audit log, by this moderator, with the reason.
        moderator_page.goto(f"{base}/moderation/audit/")
        entry = moderator_page.locator("tr.audit-entry", has_text=f"video#{video.video_id}")
        expect(entry).to_have_count(1)
        expect(entry.locator(".action")).to_have_text("remove_video")
        expect(entry).to_contain_text("Mona Moderator")
        expect(entry).to_contain_text(REMOVAL_REASON)

        # The moderator bans the creator from the user page.
        moderator_page.goto(f"{base}/moderation/users/{creator.user_id}/")
        ban = moderator_page.locator('form[data-action="ban_user"]')
        ban.get_by_label("Reason for “Ban user”").fill(BAN_REASON)
        ban.get_by_role("button", name="Ban user").click()
        expect(moderator_page.locator(".user-status")).to_have_text("banned")

        # The creator's next login fails, saying the account is suspended.
        creator_page.goto(f"{base}/accounts/login/")
        creator_page.get_by_label("Email").fill(creator.email)
        creator_page.get_by_label("Password").fill(STRONG_PASSWORD)
        creator_page.get_by_role("button", name="Log in").click()
        expect(creator_page.get_by_text(re.compile("suspended", re.I))).to_be_visible()
        assert creator_page.url.startswith(f"{base}/accounts/login/")
        assert creator_page.goto(f"{base}/studio/videos/").url.startswith(f"{base}/accounts/login/")

        assert unexpected_problems(viewer_page, allowed=(f"/watch/{video.video_id}/",)) == []
        assert unexpected_problems(moderator_page) == []
        assert unexpected_problems(creator_page) == []
