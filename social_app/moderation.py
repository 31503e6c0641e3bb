"""Reports and moderation actions (writes). Every action needs the moderator or admin
role and a reason, is written to the audit log and notifies the affected creator."""

import logging

from django.conf import settings
from pynamodb.exceptions import TransactWriteError

from channels_app.models import Channel, Role, User, UserStatus
from channels_app.selectors import channel_get, user_get
from channels_app.services import clean_text, user_set_role
from social_app.models import AuditEntry, Comment, Report, ReportTarget
from social_app.selectors import comment_get, report_target
from social_app.services import notification_create
from videoplatform.dynamodb import condition_failed, new_ulid, now_s, transaction
from videoplatform.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from videoplatform.ratelimit import enforce
from videos_app import services as video_services
from videos_app.models import FEED_PARTITION, PENDING_STATUSES, Video, VideoStatus, Visibility
from videos_app.selectors import video_get

logger = logging.getLogger(__name__)

REASONS = {
    "spam": "Spam or misleading",
    "harassment": "Harassment or bullying",
    "violence": "Violence",
    "sexual": "Sexual content",
    "copyright": "Copyright",
    "other": "Other",
}
NOTE_MAX = 500
ACTION_REASON_MAX = 500
IN_REVIEW_BOOST = 1_000_000
QUEUE_PARTITION = "open"
AUDIT_PARTITION = "audit"


def require_staff(user) -> None:
    if not getattr(user, "is_authenticated", False) or not user.is_staff:
        raise PermissionDenied("Moderators only.")


def require_admin(user) -> None:
    if not getattr(user, "is_authenticated", False) or not user.is_admin:
        raise PermissionDenied("Admins only.")


def _reason(text: str) -> str:
    return clean_text(
        text, field="reason", label="Reason", max_length=ACTION_REASON_MAX, required=True
    )


# --- Reports -------------------------------------------------------------------------


def resolve_target(target_type: str, target_id: str, video_id: str | None = None) -> dict:
    """What a report points at: key, owner, a preview and a link. NotFound if missing."""
    if target_type == "video":
        video = video_get(target_id)
        if video is None or video.status == VideoStatus.REMOVED:
            raise NotFound("That video does not exist.")
        return {
            "key": f"video#{video.video_id}",
            "owner": video.owner_user_id,
            "preview": video.title,
            "link": f"/watch/{video.video_id}/",
            "video": video,
        }
    if target_type == "comment":
        comment = comment_get(video_id or "", target_id)
        if comment is None:
            raise NotFound("That comment does not exist.")
        if comment.deleted:
            raise NotFound("That comment was deleted.")
        return {
            "key": f"comment#{comment.video_id}#{comment.comment_id}",
            "owner": comment.user_id,
            "preview": comment.text[:300],
            "link": f"/watch/{comment.video_id}/#comment-{comment.comment_id}",
        }
    if target_type == "channel":
        channel = channel_get(target_id)
        if channel is None:
            raise NotFound("That channel does not exist.")
        return {
            "key": f"channel#{channel.channel_id}",
            "owner": channel.owner_user_id,
            "preview": f"{channel.name} (@{channel.handle})",
            "link": f"/c/{channel.handle}/",
        }
    raise ApplicationError("Unknown kind of report.")


def report_create(
    *,
    user,
    target_type: str,
    target_id: str,
    reason: str,
    note: str = "",
    video_id: str | None = None,
) -> ReportTarget:
    """File a report. One open report per reporter per target; a threshold of distinct
    reporters puts a video in review (still visible, first in the queue)."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied("Log in to report.")
    if user.is_banned:
        raise PermissionDenied("This account is suspended.")
    if reason not in REASONS:
        raise ApplicationError("Choose a reason.", field="reason")
    note = clean_text(note, field="note", label="Note", max_length=NOTE_MAX, required=False)
    target = resolve_target(target_type, target_id, video_id)
    if target["owner"] == user.user_id:
        raise ApplicationError("You cannot report your own content.")
    enforce(
        f"report#{user.user_id}",
        limit=settings.REPORTS_PER_HOUR,
        window_s=3600,
        message="You have sent many reports recently. Try again later.",
    )
    now = now_s()
    report = Report(
        target["key"], user.user_id, reason=reason, note=note, status="open", created_at=now
    )
    aggregate = ReportTarget(target["key"])
    actions = [
        ReportTarget.target_type.set(target_type),
        ReportTarget.owner_user_id.set(target["owner"]),
        ReportTarget.preview.set(target["preview"]),
        ReportTarget.link.set(target["link"]),
        ReportTarget.open_count.set((ReportTarget.open_count | 0) + 1),
        ReportTarget.priority.set((ReportTarget.priority | 0) + 1),
        ReportTarget.reasons.add({reason}),
        ReportTarget.status.set("open"),
        ReportTarget.queue_partition.set(QUEUE_PARTITION),
        ReportTarget.last_reported_at.set(now),
    ]
    if note:
        actions.append(
            ReportTarget.recent_notes.set((ReportTarget.recent_notes | []).append([note]))
        )
    try:
        with transaction() as tx:
            tx.save(
                report, condition=Report.reporter_id.does_not_exist() | (Report.status != "open")
            )
            tx.update(aggregate, actions=actions)
    except TransactWriteError as error:
        if condition_failed(error):
            raise Conflict("You already reported this; a moderator will look at it.") from None
        raise
    aggregate.refresh(consistent_read=True)
    if (
        target_type == "video"
        and not aggregate.in_review
        and aggregate.open_count >= settings.REPORTS_REVIEW_THRESHOLD
    ):
        _put_in_review(aggregate, target["video"])
    return aggregate


def _put_in_review(aggregate: ReportTarget, video: Video) -> None:
    try:
        aggregate.update(
            actions=[ReportTarget.in_review.set(True), ReportTarget.priority.add(IN_REVIEW_BOOST)],
            # The attribute is absent until first set.
            condition=ReportTarget.in_review.does_not_exist() | (ReportTarget.in_review == False),  # noqa: E712
        )
    except Exception as error:
        if condition_failed(error):
            return
        raise
    video.update(actions=[Video.in_review.set(True)])


def _close_target(target_key: str, *, report_status: str) -> None:
    """Take a target out of the queue and settle its open reports."""
    target = report_target(target_key)
    if target is None:
        return
    target.update(
        actions=[
            ReportTarget.status.set("closed"),
            ReportTarget.queue_partition.remove(),
            ReportTarget.open_count.set(0),
            ReportTarget.priority.set(0),
            ReportTarget.in_review.set(False),
            ReportTarget.reasons.remove(),
            ReportTarget.recent_notes.set([]),
        ]
    )
    with Report.batch_write() as batch:
        for report in Report.query(target_key, filter_condition=Report.status == "open"):
            report.status = report_status
            batch.save(report)


def _audit(
    *, moderator, action: str, target_key: str, subject_user_id: str | None, reason: str
) -> AuditEntry:
    entry = AuditEntry(
        AUDIT_PARTITION,
        new_ulid(),
        moderator_id=moderator.user_id,
        moderator_name=moderator.display_name,
        action=action,
        target_key=target_key,
        subject_user_id=subject_user_id or "-",
        reason=reason,
        created_at=now_s(),
    )
    entry.save(condition=AuditEntry.entry_id.does_not_exist())
    return entry


# --- Actions -------------------------------------------------------------------------


def report_dismiss(*, moderator, target_key: str, reason: str) -> None:
    require_staff(moderator)
    reason = _reason(reason)
    target = report_target(target_key)
    if target is None:
        raise NotFound("No reports for that target.")
    _close_target(target_key, report_status="dismissed")
    if target.target_type == "video":
        Video(target_key.split("#", 1)[1]).update(
            actions=[Video.in_review.set(False)], condition=Video.video_id.exists()
        )
    _audit(
        moderator=moderator,
        action="dismiss",
        target_key=target_key,
        subject_user_id=target.owner_user_id,
        reason=reason,
    )


def video_remove(*, moderator, video_id: str, reason: str) -> Video:
    """Remove a video: out of feeds and the channel page, playlists no longer signed."""
    require_staff(moderator)
    reason = _reason(reason)
    video = video_get(video_id, consistent=True)
    if video is None:
        raise NotFound("No such video.")
    if video.status == VideoStatus.REMOVED:
        raise ApplicationError("This video is already removed.")
    listed = bool(video.feed_partition)
    try:
        with transaction() as tx:
            tx.update(
                video,
                actions=[
                    Video.removed_from_status.set(video.status),
                    Video.status.set(str(VideoStatus.REMOVED)),
                    Video.status_reason.set(reason),
                    Video.public_channel_id.remove(),
                    Video.feed_partition.remove(),
                    Video.pending_partition.remove(),
                    Video.pending_since.remove(),
                    Video.in_review.set(False),
                ],
                condition=Video.status == video.status,
            )
            if listed:
                tx.update(
                    Channel(video.channel_id),
                    actions=[Channel.video_count.add(-1)],
                    condition=Channel.channel_id.exists(),
                )
    except TransactWriteError as error:
        if condition_failed(error):
            raise ApplicationError("The video changed meanwhile; reload and try again.") from None
        raise
    key = f"video#{video.video_id}"
    _close_target(key, report_status="actioned")
    _audit(
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


def video_restore(*, moderator, video_id: str, reason: str) -> Video:
    require_staff(moderator)
    reason = _reason(reason)
    video = video_get(video_id, consistent=True)
    if video is None:
        raise NotFound("No such video.")
    if video.status != VideoStatus.REMOVED:
        raise ApplicationError("Only a removed video can be restored.")
    previous = video.removed_from_status or str(VideoStatus.READY)
    if previous in PENDING_STATUSES or previous == VideoStatus.UPLOADING:
        # Back in the pending index, where the worker, reconcile or the upload sweep
        # will find it.
        status_actions = video_services.pending_actions(VideoStatus(previous))
    else:
        status_actions = [Video.status.set(previous)]
    actions = [
        *status_actions,
        Video.status_reason.remove(),
        Video.removed_from_status.remove(),
    ]
    relist = (
        previous == VideoStatus.READY
        and video.visibility == Visibility.PUBLIC
        and not video.owner_banned
    )
    if relist:
        actions += [
            Video.public_channel_id.set(video.channel_id),
            Video.feed_partition.set(FEED_PARTITION),
        ]
    with transaction() as tx:
        tx.update(video, actions=actions, condition=Video.status == str(VideoStatus.REMOVED))
        if relist:
            tx.update(
                Channel(video.channel_id),
                actions=[Channel.video_count.add(1)],
                condition=Channel.channel_id.exists(),
            )
    _audit(
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
    comment = comment_get(video_id, comment_id)
    if comment is None:
        raise NotFound("No such comment.")
    if comment.deleted:
        raise ApplicationError("This comment is already removed.")
    with transaction() as tx:
        tx.update(
            comment,
            actions=[
                Comment.deleted.set(True),
                Comment.text.set(""),
                Comment.removed_reason.set(reason),
            ],
            condition=Comment.deleted == False,  # noqa: E712 - a DynamoDB condition
        )
        tx.update(
            Video(video_id),
            actions=[Video.comment_count.add(-1)],
            condition=Video.video_id.exists(),
        )
    key = f"comment#{video_id}#{comment_id}"
    _close_target(key, report_status="actioned")
    _audit(
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


def _set_content_hidden(user_id: str, *, hidden: bool) -> None:
    """Hide (or show again) a user's videos and comments; bounded by their own content."""
    for video in Video.owner_index.query(user_id):
        actions = [Video.owner_banned.set(hidden)]
        listed = video.status == VideoStatus.READY and video.visibility == Visibility.PUBLIC
        if hidden and video.feed_partition:
            actions += [Video.public_channel_id.remove(), Video.feed_partition.remove()]
        elif not hidden and listed:
            actions += [
                Video.public_channel_id.set(video.channel_id),
                Video.feed_partition.set(FEED_PARTITION),
            ]
        video.update(actions=actions)
    for channel in Channel.owner_index.query(user_id):
        channel.update(actions=[Channel.owner_banned.set(hidden)])
    for stub in Comment.user_index.query(user_id):
        Comment(stub.video_id, stub.comment_id).update(
            actions=[Comment.hidden.set(hidden)], condition=Comment.comment_id.exists()
        )


def user_ban(*, moderator, user_id: str, reason: str) -> User:
    require_staff(moderator)
    reason = _reason(reason)
    target = user_get(user_id)
    if target is None:
        raise NotFound("No such user.")
    if target.user_id == moderator.user_id:
        raise ApplicationError("You cannot ban yourself.")
    if target.is_staff and not moderator.is_admin:
        raise PermissionDenied("Only an admin can ban a moderator or admin.")
    if target.is_banned:
        raise ApplicationError("This user is already banned.")
    return _set_banned(moderator=moderator, target=target, banned=True, reason=reason)


def user_unban(*, moderator, user_id: str, reason: str) -> User:
    require_staff(moderator)
    reason = _reason(reason)
    target = user_get(user_id)
    if target is None:
        raise NotFound("No such user.")
    if not target.is_banned:
        raise ApplicationError("This user is not banned.")
    return _set_banned(moderator=moderator, target=target, banned=False, reason=reason)


def _set_banned(*, moderator, target: User, banned: bool, reason: str) -> User:
    """The status change (conditional on the old one), the content, the log, the notice."""
    new, old = (
        (UserStatus.BANNED, UserStatus.ACTIVE) if banned else (UserStatus.ACTIVE, UserStatus.BANNED)
    )
    target.update(actions=[User.status.set(str(new))], condition=User.status == str(old))
    _set_content_hidden(target.user_id, hidden=banned)
    _audit(
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
        raise NotFound("No such user.")
    user_set_role(user=target, role=Role.MODERATOR, granted=granted)
    _audit(
        moderator=admin,
        action="grant_moderator" if granted else "revoke_moderator",
        target_key=f"user#{target.user_id}",
        subject_user_id=target.user_id,
        reason=reason,
    )
    return target
