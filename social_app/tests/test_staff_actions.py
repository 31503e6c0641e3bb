"""Staff acting through the creators' own pages: on the record like a moderation action,
a delete is a removal an admin can restore, and only the owner deletes for good."""

import pytest
from django.test import Client
from django.urls import reverse

from channels_app.accounts import user_set_role
from channels_app.models import Role
from channels_app.selectors import channel_get, user_get
from channels_app.tests.test_channels import complete_upload as complete_image_upload
from channels_app.tests.test_channels import png_bytes, post_to_storage
from channels_app.tests.test_channels import start_upload as start_image_upload
from conftest import make_channel, make_user, sign_in
from social_app import moderation
from social_app.models import Notification
from social_app.selectors import audit_log, comment_get
from social_app.services import comment_post
from social_app.tests.factories import make_ready_video
from videos_app.models import VideoStatus
from videos_app.selectors import public_feed, video_get
from videos_app.tests.factories import start_upload


def _staff(role=Role.MODERATOR):
    user = make_user(display_name=f"Staff {role}")
    user_set_role(user=user, role=role, granted=True)
    return user


def _entries(target_key):
    return audit_log(target_key=target_key).items


def _moderation_notices(user_id):
    return [n for n in Notification.query(user_id) if n.kind == "moderation"]


class TestVideoDelete:
    def test_moderator_delete_is_a_restorable_removal_on_the_record(self):
        video = make_ready_video(title="Kept for the record")
        moderator, admin = _staff(), _staff(Role.ADMIN)
        response = sign_in(Client(), moderator).post(
            reverse("video_delete", kwargs={"video_id": video.video_id})
        )
        assert response.status_code == 302
        removed = video_get(video.video_id, consistent=True)
        assert removed is not None, "a moderator's delete must not destroy the video"
        assert removed.status == VideoStatus.REMOVED and not removed.listed
        [entry] = _entries(f"video#{video.video_id}")
        assert entry.action == "remove_video" and entry.moderator_id == moderator.user_id
        assert entry.subject_user_id == video.owner_user_id
        assert _moderation_notices(video.owner_user_id)

        moderation.video_restore(moderator=admin, video_id=video.video_id, reason="Mistake")
        restored = video_get(video.video_id, consistent=True)
        assert restored.status == VideoStatus.READY and restored.listed
        assert video.video_id in {v.video_id for v in public_feed().items}

    def test_owner_delete_is_for_good_and_not_audited(self):
        video = make_ready_video()
        owner = make_user_from(video)
        response = sign_in(Client(), owner).post(
            reverse("video_delete", kwargs={"video_id": video.video_id})
        )
        assert response.status_code == 302
        assert video_get(video.video_id, consistent=True) is None
        assert _entries(f"video#{video.video_id}") == []

    def test_admin_deleting_their_own_video_deletes_it(self):
        admin = _staff(Role.ADMIN)
        video = make_ready_video(owner=admin)
        sign_in(Client(), admin).post(reverse("video_delete", kwargs={"video_id": video.video_id}))
        assert video_get(video.video_id, consistent=True) is None


def make_user_from(video):
    return user_get(video.owner_user_id)


class TestEdits:
    def test_moderator_edit_of_a_video_is_audited_with_what_changed(self):
        video = make_ready_video(title="Before")
        moderator = _staff()
        response = sign_in(Client(), moderator).post(
            reverse("video_edit", kwargs={"video_id": video.video_id}),
            {"title": "After", "description": "", "visibility": "private"},
        )
        assert response.status_code == 302
        assert video_get(video.video_id, consistent=True).title == "After"
        [entry] = _entries(f"video#{video.video_id}")
        assert entry.action == "edit_video" and entry.moderator_id == moderator.user_id
        assert "'Before' -> 'After'" in entry.reason and "'private'" in entry.reason
        assert any("edited your video" in n.text for n in _moderation_notices(video.owner_user_id))

    def test_owner_edit_leaves_no_audit_entry(self):
        video = make_ready_video(title="Mine")
        sign_in(Client(), make_user_from(video)).post(
            reverse("video_edit", kwargs={"video_id": video.video_id}),
            {"title": "Still mine", "description": "", "visibility": "public"},
        )
        assert video_get(video.video_id, consistent=True).title == "Still mine"
        assert _entries(f"video#{video.video_id}") == []

    def test_moderator_rename_of_a_channel_is_audited(self):
        owner = make_user()
        channel = make_channel(owner=owner, name="Old name")
        moderator = _staff()
        response = sign_in(Client(), moderator).post(
            reverse("channel_edit", kwargs={"channel_id": channel.channel_id}),
            {"name": "New name", "description": ""},
        )
        assert response.status_code == 302
        assert channel_get(channel.channel_id).name == "New name"
        [entry] = _entries(f"channel#{channel.channel_id}")
        assert entry.action == "edit_channel" and "'Old name' -> 'New name'" in entry.reason
        assert any("edited your channel" in n.text for n in _moderation_notices(owner.user_id))

    def test_owner_rename_is_not_audited(self):
        owner = make_user()
        channel = make_channel(owner=owner, name="Mine")
        sign_in(Client(), owner).post(
            reverse("channel_edit", kwargs={"channel_id": channel.channel_id}),
            {"name": "Still mine", "description": ""},
        )
        assert channel_get(channel.channel_id).name == "Still mine"
        assert _entries(f"channel#{channel.channel_id}") == []


class TestComments:
    def test_moderator_delete_of_a_comment_is_a_recorded_removal(self):
        video = make_ready_video()
        author = make_user()
        comment = comment_post(user=author, video_id=video.video_id, text="Hello there")
        moderator = _staff()
        response = sign_in(Client(), moderator).post(
            reverse(
                "comment_delete",
                kwargs={"video_id": video.video_id, "comment_id": comment.comment_id},
            )
        )
        assert response.status_code == 302
        stored = comment_get(video.video_id, comment.comment_id)
        assert stored.deleted and stored.removed_reason
        [entry] = _entries(f"comment#{video.video_id}#{comment.comment_id}")
        assert entry.action == "remove_comment" and entry.subject_user_id == author.user_id

    def test_video_owner_deleting_a_comment_is_not_audited(self):
        video = make_ready_video()
        comment = comment_post(user=make_user(), video_id=video.video_id, text="Hi")
        sign_in(Client(), make_user_from(video)).post(
            reverse(
                "comment_delete",
                kwargs={"video_id": video.video_id, "comment_id": comment.comment_id},
            )
        )
        stored = comment_get(video.video_id, comment.comment_id)
        assert stored.deleted and not stored.removed_reason
        assert _entries(f"comment#{video.video_id}#{comment.comment_id}") == []


class TestUploadsStayWithTheOwner:
    @pytest.mark.parametrize("route", ["video_upload_parts", "video_uploaded", "video_cancel"])
    def test_staff_cannot_upload_or_cancel_in_the_owners_name(self, route):
        owner = make_user()
        video, _ = start_upload(actor=owner, channel=make_channel(owner=owner), title="Up")
        response = sign_in(Client(), _staff(Role.ADMIN)).post(
            reverse(route, kwargs={"video_id": video.video_id})
        )
        assert response.status_code == 403
        assert video_get(video.video_id, consistent=True).status == VideoStatus.UPLOADING


class TestChannelImages:
    def test_moderator_setting_someones_avatar_is_audited_and_the_owners_is_not(self):
        owner = make_user()
        channel = make_channel(owner=owner)
        for actor in (owner, _staff()):
            client = sign_in(Client(), actor)
            post = start_image_upload(client, channel).json()
            assert post_to_storage(post, png_bytes()).ok
            assert complete_image_upload(client, channel, post["key"]).status_code == 200
        [entry] = _entries(f"channel#{channel.channel_id}")
        assert entry.action == "edit_channel_avatar" and entry.subject_user_id == owner.user_id
