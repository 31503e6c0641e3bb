"""Moderation actions (writes). Every action needs the moderator or admin role and a
reason, is written to the audit log and notifies the affected creator. The changes
themselves are made by the modules that own each item: videos by ``videos_app``,
comments by ``social_app.services``, users and channels by ``channels_app``, the
report queue by ``social_app.reports``. This module writes only the AuditLog."""

import logging

from django.utils.translation import gettext as _

from channels_app.accounts import user_set_banned, user_set_role
from channels_app.models import Role, User
from channels_app.selectors import user_get
from channels_app.services import channels_set_owner_banned
from live_app.services import live_sessions_end_for_owner
from social_app.models import AuditEntry, audit_partition
from social_app.notifications import notification_create
from social_app.reports import NOTE_MAX, REASONS, report_close, report_create, resolve_target
from social_app.selectors import report_target
from social_app.services import comment_take_down, comments_set_hidden
from videoplatform.dynamodb import new_ulid, now_s
from videoplatform.errors import ApplicationError, NotFound, PermissionDenied
from videoplatform.text import clean_text
from videos_app import services as video_services
from videos_app.selectors import video_get

logger = logging.getLogger(__name__)

__all__ = ["NOTE_MAX", "REASONS", "report_create", "resolve_target"]

ACTION_REASON_MAX = 500


def require_staff(user) -> None:
    if not getattr(user, "is_authenticated", False) or not user.is_staff:
        raise PermissionDenied(_("Moderators only."))


def require_admin(user) -> None:
    if not getattr(user, "is_authenticated", False) or not user.is_admin:
        raise PermissionDenied(_("Admins only."))


def _reason(text: str) -> str:
    return clean_text(
        text, field="reason", label=_("Reason"), max_length=ACTION_REASON_MAX, required=True
    )


def audit_record(
    *, moderator, action: str, target_key: str, subject_user_id: str | None, reason: str
) -> AuditEntry:
    now = now_s()
    entry = AuditEntry(
        audit_partition(now, moderator.user_id),
        new_ulid(),
        moderator_id=moderator.user_id,
        moderator_name=moderator.display_name,
        action=action,
        target_key=target_key,
        subject_user_id=subject_user_id or "-",
        reason=reason,
        created_at=now,
    )
    entry.save(condition=AuditEntry.entry_id.does_not_exist())
    return entry


# --- Actions -------------------------------------------------------------------------


def report_dismiss(*, moderator, target_key: str, reason: str) -> None:
    require_staff(moderator)
    reason = _reason(reason)
    target = report_target(target_key)
    if target is None:
        raise NotFound(_("No reports for that target."))
    report_close(target_key=target_key, report_status="dismissed")
    if target.target_type == "video":
        video_services.video_set_in_review(video_id=target_key.split("#", 1)[1], in_review=False)
    audit_record(
        moderator=moderator,
        action="dismiss",
        target_key=target_key,
        subject_user_id=target.owner_user_id,
        reason=reason,
    )


def video_remove(*, moderator, video_id: str, reason: str):
    """Remove a video: out of feeds and the channel page, playlists no longer signed."""
    require_staff(moderator)
    reason = _reason(reason)
    video = video_get(video_id, consistent=True)
    if video is None:
        raise NotFound(_("No such video."))
    video_services.video_take_down(video=video, reason=reason)
    key = f"video#{video.video_id}"
    report_close(target_key=key, report_status="actioned")
    audit_record(
        moderator=moderator,
        action="remove_video",
        target_key=key,
        subject_user_id=video.owner_user_id,
        reason=reason,
    )
    notification_create(
        user_id=video.owner_user_id,
        kind="moderation",
        text=f"Your video “{video.title}” was removed by a moderator: {reason}",
        link="/studio/videos/",
    )
    return video


def video_restore(*, moderator, video_id: str, reason: str):
    require_staff(moderator)
    reason = _reason(reason)
    video = video_get(video_id, consistent=True)
    if video is None:
        raise NotFound(_("No such video."))
    video_services.video_put_back(video=video)
    audit_record(
        moderator=moderator,
        action="restore_video",
        target_key=f"video#{video.video_id}",
        subject_user_id=video.owner_user_id,
        reason=reason,
    )
    notification_create(
        user_id=video.owner_user_id,
        kind="moderation",
        text=f"Your video “{video.title}” was restored: {reason}",
        link=f"/watch/{video.video_id}/",
    )
    return video


def comment_remove(*, moderator, video_id: str, comment_id: str, reason: str) -> None:
    require_staff(moderator)
    reason = _reason(reason)
    comment = comment_take_down(video_id=video_id, comment_id=comment_id, reason=reason)
    key = f"comment#{video_id}#{comment_id}"
    report_close(target_key=key, report_status="actioned")
    audit_record(
        moderator=moderator,
        action="remove_comment",
        target_key=key,
        subject_user_id=comment.user_id,
        reason=reason,
    )
    notification_create(
        user_id=comment.user_id,
        kind="moderation",
        text=f"Your comment was removed by a moderator: {reason}",
        link=f"/watch/{video_id}/",
    )


def user_ban(*, moderator, user_id: str, reason: str) -> User:
    require_staff(moderator)
    reason = _reason(reason)
    target = user_get(user_id)
    if target is None:
        raise NotFound(_("No such user."))
    if target.user_id == moderator.user_id:
        raise ApplicationError(_("You cannot ban yourself."))
    if target.is_staff and not moderator.is_admin:
        raise PermissionDenied(_("Only an admin can ban a moderator or admin."))
    if target.is_banned:
        raise ApplicationError(_("This user is already banned."))
    return _set_banned(moderator=moderator, target=target, banned=True, reason=reason)


def user_unban(*, moderator, user_id: str, reason: str) -> User:
    require_staff(moderator)
    reason = _reason(reason)
    target = user_get(user_id)
    if target is None:
        raise NotFound(_("No such user."))
    if not target.is_banned:
        raise ApplicationError(_("This user is not banned."))
    return _set_banned(moderator=moderator, target=target, banned=False, reason=reason)


def _set_banned(*, moderator, target: User, banned: bool, reason: str) -> User:
    """The status change (conditional on the old one), the content, the log, the notice."""
    if not user_set_banned(user=target, banned=banned):
        raise ApplicationError(_("This user changed meanwhile; reload and try again."))
    # Everything the user made follows, each through its owner's one rule.
    video_services.videos_set_owner_banned(owner_user_id=target.user_id, banned=banned)
    channels_set_owner_banned(owner_user_id=target.user_id, banned=banned)
    comments_set_hidden(user_id=target.user_id, hidden=banned)
    if banned:
        live_sessions_end_for_owner(owner_user_id=target.user_id)
    audit_record(
        moderator=moderator,
        action="ban_user" if banned else "unban_user",
        target_key=f"user#{target.user_id}",
        subject_user_id=target.user_id,
        reason=reason,
    )
    notice = "suspended" if banned else "restored"
    notification_create(
        user_id=target.user_id, kind="moderation", text=f"Your account was {notice}: {reason}"
    )
    return target


def moderator_role_set(*, admin, user_id: str, granted: bool, reason: str) -> User:
    require_admin(admin)
    reason = _reason(reason)
    target = user_get(user_id)
    if target is None:
        raise NotFound(_("No such user."))
    user_set_role(user=target, role=Role.MODERATOR, granted=granted)
    audit_record(
        moderator=admin,
        action="grant_moderator" if granted else "revoke_moderator",
        target_key=f"user#{target.user_id}",
        subject_user_id=target.user_id,
        reason=reason,
    )
    return target
