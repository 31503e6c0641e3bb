"""Reports, the moderation queue and actions, bans, and the audit log."""

import pytest

from channels_app.accounts import user_set_role
from channels_app.models import Role
from conftest import make_channel, make_user, sign_in
from social_app import moderation
from social_app.models import Notification, Report
from social_app.selectors import audit_log, report_queue
from social_app.services import comment_post
from social_app.tests.factories import make_ready_video
from videoplatform.errors import ApplicationError, Conflict, PermissionDenied
from videos_app.models import VideoStatus
from videos_app.selectors import video_get


@pytest.fixture
def moderator():
    user = make_user(display_name="Mod")
    user_set_role(user=user, role=Role.MODERATOR, granted=True)
    return user


class TestReports:
    def test_one_open_report_per_reporter(self):
        """The same reporter reporting the same video twice: the second is refused."""
        video = make_ready_video()
        reporter = make_user()
        moderation.report_create(
            user=reporter, target_type="video", target_id=video.video_id, reason="spam"
        )
        with pytest.raises(Conflict):
            moderation.report_create(
                user=reporter, target_type="video", target_id=video.video_id, reason="other"
            )
        assert Report.count(f"video#{video.video_id}") == 1

    def test_threshold_puts_video_in_review_first_in_queue(self, settings):
        """Three distinct reporters put a video in review: listed first, still playing."""
        settings.REPORTS_REVIEW_THRESHOLD = 3
        video = make_ready_video()
        for reason in ("spam", "violence", "other"):
            moderation.report_create(
                user=make_user(),
                target_type="video",
                target_id=video.video_id,
                reason=reason,
                note=f"note {reason}",
            )
        assert video_get(video.video_id, consistent=True).in_review is True
        assert video_get(video.video_id, consistent=True).status == VideoStatus.READY
        first = report_queue(limit=5).items[0]
        assert first.target_key == f"video#{video.video_id}" and first.open_count == 3
        assert {"spam", "violence", "other"} <= first.reasons and "note other" in first.recent_notes

    def test_report_bad_reason_and_own_content(self):
        """An unknown reason or reporting your own video is refused with a message."""
        video = make_ready_video()
        with pytest.raises(ApplicationError, match="reason"):
            moderation.report_create(
                user=make_user(), target_type="video", target_id=video.video_id, reason="because"
            )
        with pytest.raises(ApplicationError, match="own"):
            moderation.report_create(
                user=video_owner(video),
                target_type="video",
                target_id=video.video_id,
                reason="spam",
            )

    def test_report_page(self, client):
        """The Report page files a report and returns to the video."""
        video = make_ready_video()
        sign_in(client, make_user())
        page = client.get(f"/report/?type=video&id={video.video_id}")
        assert page.status_code == 200 and b"Report" in page.content
        done = client.post(
            "/report/", {"type": "video", "id": video.video_id, "reason": "spam", "note": "bad"}
        )
        assert done.status_code == 302 and done["Location"] == f"/watch/{video.video_id}/"


def video_owner(video):
    from channels_app.selectors import user_get

    return user_get(video.owner_user_id)


class TestActions:
    def test_remove_and_restore_video(self, client, moderator):
        """Removal hides the video at once (watch 404, playlist 404, out of the feed), tells the
        owner why, and is audited; restore brings it back."""
        video = make_ready_video(title="Questionable")
        moderation.report_create(
            user=make_user(), target_type="video", target_id=video.video_id, reason="spam"
        )
        moderation.video_remove(moderator=moderator, video_id=video.video_id, reason="Spam links")
        assert client.get(f"/watch/{video.video_id}/").status_code == 404
        assert client.get(f"/watch/{video.video_id}/hls/master.m3u8").status_code == 404
        assert video.video_id.encode() not in client.get("/").content
        removed = video_get(video.video_id, consistent=True)
        assert removed.status == VideoStatus.REMOVED and removed.status_reason == "Spam links"
        texts = [n.text for n in Notification.query(video.owner_user_id)]
        assert any("Spam links" in t for t in texts)
        entry = audit_log(target_key=f"video#{video.video_id}").items[0]
        assert (
            entry.action == "remove_video"
            and entry.moderator_id == moderator.user_id
            and entry.reason == "Spam links"
        )
        assert not any(
            t.target_key == f"video#{video.video_id}" for t in report_queue(limit=50).items
        )
        moderation.video_restore(
            moderator=moderator, video_id=video.video_id, reason="Appeal accepted"
        )
        assert client.get(f"/watch/{video.video_id}/").status_code == 200

    def test_action_needs_reason(self, moderator):
        """A moderation action without a reason is refused and changes nothing."""
        video = make_ready_video()
        with pytest.raises(ApplicationError, match="Reason"):
            moderation.video_remove(moderator=moderator, video_id=video.video_id, reason="  ")
        assert video_get(video.video_id, consistent=True).status == VideoStatus.READY

    def test_non_staff_cannot_act(self, client):
        """A regular user posting to a moderation action gets 403 and nothing changes."""
        video = make_ready_video()
        sign_in(client, make_user())
        response = client.post(
            "/moderation/actions/remove_video/", {"video_id": video.video_id, "reason": "x"}
        )
        assert response.status_code == 403
        assert client.get("/moderation/").status_code == 403
        assert video_get(video.video_id, consistent=True).status == VideoStatus.READY

    def test_remove_comment(self, moderator):
        """A removed comment shows as removed, the count drops, the author is told."""
        video = make_ready_video()
        author = make_user()
        comment = comment_post(user=author, video_id=video.video_id, text="rude words")
        moderation.comment_remove(
            moderator=moderator,
            video_id=video.video_id,
            comment_id=comment.comment_id,
            reason="Harassment",
        )
        assert video_get(video.video_id, consistent=True, with_counts=True).comment_count == 0
        assert any("Harassment" in n.text for n in Notification.query(author.user_id))

    def test_ban_blocks_login_and_hides_content_unban_restores(self, client, moderator):
        """A banned user cannot log in, their session stops working, their videos and channel
        are hidden; unban restores all of it."""
        owner = make_user()
        channel = make_channel(owner=owner)
        video = make_ready_video(owner=owner, channel=channel)
        sign_in(client, owner)
        moderation.user_ban(moderator=moderator, user_id=owner.user_id, reason="Repeated spam")
        assert client.get("/studio/").status_code == 302  # the old session is signed out
        response = client.post(
            "/accounts/login/", {"email": owner.email, "password": "correct-horse-battery-staple"}
        )
        assert response.status_code == 200 and b"suspended" in response.content
        assert client.get(f"/watch/{video.video_id}/").status_code == 404
        assert client.get(f"/c/{channel.handle}/").status_code == 404
        owner.refresh()  # as every request loads the user afresh
        with pytest.raises(PermissionDenied):
            comment_post(user=owner, video_id=make_ready_video().video_id, text="hi")
        moderation.user_unban(moderator=moderator, user_id=owner.user_id, reason="Appeal")
        assert client.get(f"/watch/{video.video_id}/").status_code == 200
        assert client.get(f"/c/{channel.handle}/").status_code == 200
        assert sign_in(client, owner)

    def test_only_admin_grants_moderator(self, client, moderator):
        """Admins grant and revoke the moderator role from the user page; moderators cannot."""
        target = make_user()
        with pytest.raises(PermissionDenied):
            moderation.moderator_role_set(
                admin=moderator, user_id=target.user_id, granted=True, reason="x"
            )
        admin = make_user()
        user_set_role(user=admin, role=Role.ADMIN, granted=True)
        sign_in(client, admin)
        response = client.post(
            "/moderation/actions/grant_moderator/", {"user_id": target.user_id, "reason": "Trusted"}
        )
        assert response.status_code == 302
        from channels_app.selectors import user_get

        assert user_get(target.user_id).is_moderator
        page = client.get(f"/moderation/users/{target.user_id}/").content.decode()
        assert "Revoke moderator" in page

    def test_pages_render_for_staff(self, client, moderator):
        """The queue, target, user and audit pages render for a moderator."""
        video = make_ready_video()
        moderation.report_create(
            user=make_user(),
            target_type="video",
            target_id=video.video_id,
            reason="spam",
            note="<b>look</b>",
        )
        sign_in(client, moderator)
        queue = client.get("/moderation/").content.decode()
        assert f"video#{video.video_id}" in queue and "&lt;b&gt;look&lt;/b&gt;" in queue
        assert client.get(f"/moderation/targets/video%23{video.video_id}/").status_code == 200
        assert client.get(f"/moderation/users/{video.owner_user_id}/").status_code == 200
        assert client.get(f"/moderation/audit/?moderator={moderator.user_id}").status_code == 200
