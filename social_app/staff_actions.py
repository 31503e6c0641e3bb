"""Changes made through the creators' own pages (the studio, the channel editor, a
comment's delete button), on the record when a moderator or admin makes them to
someone else's content.

The owner's own change goes straight to the service that owns the item. A staff
member's change is the same change plus an audit entry and a notice to the owner, and
a staff member's delete is a moderation removal an admin can restore: only the owner
deletes for good."""

from django.utils.translation import gettext as _

from channels_app import images
from channels_app import services as channel_services
from channels_app.models import Channel
from social_app import moderation
from social_app import services as social_services
from social_app.notifications import notification_create
from social_app.selectors import comment_get
from videoplatform.errors import NotFound
from videos_app import services as video_services
from videos_app.models import Video
from videos_app.selectors import video_get

STUDIO_DELETE_REASON = "Deleted by a moderator from the studio."
COMMENT_DELETE_REASON = "Deleted by a moderator from the watch page."


def acts_for_someone_else(actor, owner_user_id: str) -> bool:
    """True when a moderator or admin changes content that is not their own."""
    return bool(
        getattr(actor, "is_authenticated", False)
        and actor.is_staff
        and actor.user_id != owner_user_id
    )


def _changes(pairs) -> str:
    """'title: "a" -> "b"; visibility: public -> private' for the fields that changed."""
    parts = [f"{name}: {before!r} -> {after!r}" for name, before, after in pairs if before != after]
    summary = "; ".join(parts) or "no change"
    return summary[: moderation.ACTION_REASON_MAX]


def _record(
    *,
    actor,
    action: str,
    target_key: str,
    owner_user_id: str,
    reason: str,
    notice: str = "",
    link: str = "",
) -> None:
    """The audit entry, and (with ``notice``) a word to the owner."""
    moderation.audit_record(
        moderator=actor,
        action=action,
        target_key=target_key,
        subject_user_id=owner_user_id,
        reason=reason,
    )
    if notice:
        notification_create(user_id=owner_user_id, kind="moderation", text=notice, link=link)


# --- Videos --------------------------------------------------------------------------


def video_edit(*, actor, video: Video, title: str, description: str, visibility: str) -> Video:
    before = (video.title, video.description, str(video.visibility))
    video_services.video_update(
        actor=actor, video=video, title=title, description=description, visibility=visibility
    )
    if acts_for_someone_else(actor, video.owner_user_id):
        after = (video.title, video.description, str(visibility))
        names = ("title", "description", "visibility")
        changes = _changes(zip(names, before, after, strict=True))
        _record(
            actor=actor,
            action="edit_video",
            target_key=f"video#{video.video_id}",
            owner_user_id=video.owner_user_id,
            reason=changes,
            notice=f"A moderator edited your video “{video.title}”.",
            link=f"/studio/videos/{video.video_id}/edit/",
        )
    return video


def video_delete(*, actor, video: Video) -> str:
    """The owner deletes for good ("deleted"); staff remove, restorable ("removed")."""
    if acts_for_someone_else(actor, video.owner_user_id):
        moderation.video_remove(
            moderator=actor, video_id=video.video_id, reason=STUDIO_DELETE_REASON
        )
        return "removed"
    video_services.video_delete(actor=actor, video=video)
    return "deleted"


def video_retry(*, actor, video: Video) -> Video:
    video = video_services.video_retry(actor=actor, video=video)
    if acts_for_someone_else(actor, video.owner_user_id):
        _record(
            actor=actor,
            action="retry_video",
            target_key=f"video#{video.video_id}",
            owner_user_id=video.owner_user_id,
            reason="Processing started again from the studio.",
        )
    return video


# --- Channels ------------------------------------------------------------------------


def channel_edit(*, actor, channel: Channel, name: str, description: str) -> Channel:
    before = (channel.name, channel.description)
    channel_services.channel_update(
        actor=actor, channel=channel, name=name, description=description
    )
    if acts_for_someone_else(actor, channel.owner_user_id):
        changes = _changes(
            zip(("name", "description"), before, (channel.name, channel.description), strict=True)
        )
        _record(
            actor=actor,
            action="edit_channel",
            target_key=f"channel#{channel.channel_id}",
            owner_user_id=channel.owner_user_id,
            reason=changes,
            notice=f"A moderator edited your channel @{channel.handle}.",
            link=f"/studio/channels/{channel.channel_id}/edit/",
        )
    return channel


def channel_image_set(*, actor, channel: Channel, kind: str, key: str) -> Channel:
    """Attach a checked avatar or banner (``channels_app.images``); on the record when a
    moderator or admin sets someone else's."""
    channel = images.channel_image_upload_complete(actor=actor, channel=channel, kind=kind, key=key)
    if acts_for_someone_else(actor, channel.owner_user_id):
        _record(
            actor=actor,
            action=f"edit_channel_{kind}",
            target_key=f"channel#{channel.channel_id}",
            owner_user_id=channel.owner_user_id,
            reason=f"New {kind} uploaded from the channel editor.",
        )
    return channel


# --- Comments ------------------------------------------------------------------------


def comment_delete(*, user, video_id: str, comment_id: str) -> None:
    """The author and the video's owner delete; a moderator's delete of anyone else's
    comment is a moderation removal, on the record like one. Only a staff member's
    delete needs the comment and video read here; anyone else's goes straight on."""
    if not getattr(user, "is_staff", False):
        social_services.comment_delete(user=user, video_id=video_id, comment_id=comment_id)
        return
    comment = comment_get(video_id, comment_id)
    if comment is None:
        raise NotFound(_("No such comment."))
    video = video_get(video_id)
    owner_user_id = video.owner_user_id if video is not None else ""
    if acts_for_someone_else(user, comment.user_id) and acts_for_someone_else(user, owner_user_id):
        moderation.comment_remove(
            moderator=user, video_id=video_id, comment_id=comment_id, reason=COMMENT_DELETE_REASON
        )
        return
    social_services.comment_delete(user=user, video_id=video_id, comment_id=comment_id)
