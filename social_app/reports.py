"""Reports: anyone signed in reports a video, comment or channel; reports aggregate per
target in a queue moderators work through. The only module that writes the
ReportTargets and Reports tables."""

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from channels_app.selectors import channel_get
from social_app.models import QUEUE, QUEUE_SHARDS, Report, ReportTarget
from social_app.selectors import comment_get, report_target
from videoplatform.dynamodb import condition_failed, now_s, sharded_key, transaction, write_once
from videoplatform.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from videoplatform.ratelimit import enforce
from videoplatform.text import clean_text
from videos_app.models import Video, VideoStatus
from videos_app.permissions import can_view
from videos_app.selectors import video_get
from videos_app.services import video_set_in_review

REASONS = {
    "spam": gettext_lazy("Spam or misleading"),
    "harassment": gettext_lazy("Harassment or bullying"),
    "violence": gettext_lazy("Violence"),
    "sexual": gettext_lazy("Sexual content"),
    "copyright": gettext_lazy("Copyright"),
    "other": gettext_lazy("Other"),
}
NOTE_MAX = 500
IN_REVIEW_BOOST = 1_000_000


def _viewable(user, video_id: str):
    # The same answer for missing and not yours to see: a report form must not show a
    # private video's title (or a comment under it) to someone who cannot watch it.
    video = video_get(video_id) if video_id else None
    if video is None or video.status == VideoStatus.REMOVED or not can_view(user, video):
        return None
    return video


def resolve_target(
    target_type: str, target_id: str, video_id: str | None = None, *, user=None
) -> dict:
    """What a report points at: key, owner, a preview and a link. NotFound if missing
    or not visible to ``user``."""
    if target_type == "video":
        video = _viewable(user, target_id)
        if video is None:
            raise NotFound(_("That video does not exist."))
        return {
            "key": f"video#{video.video_id}",
            "owner": video.owner_user_id,
            "preview": video.title,
            "link": f"/watch/{video.video_id}/",
            "video": video,
        }
    if target_type == "comment":
        comment = comment_get(video_id or "", target_id)
        if comment is None or _viewable(user, comment.video_id) is None:
            raise NotFound(_("That comment does not exist."))
        if comment.deleted:
            raise NotFound(_("That comment was deleted."))
        return {
            "key": f"comment#{comment.video_id}#{comment.comment_id}",
            "owner": comment.user_id,
            "preview": comment.text[:300],
            "link": f"/watch/{comment.video_id}/#comment-{comment.comment_id}",
        }
    if target_type == "channel":
        channel = channel_get(target_id)
        if channel is None or (channel.owner_banned and not getattr(user, "is_staff", False)):
            raise NotFound(_("That channel does not exist."))
        return {
            "key": f"channel#{channel.channel_id}",
            "owner": channel.owner_user_id,
            "preview": f"{channel.name} (@{channel.handle})",
            "link": f"/c/{channel.handle}/",
        }
    raise ApplicationError(_("Unknown kind of report."))


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
        raise PermissionDenied(_("Log in to report."))
    if user.is_banned:
        raise PermissionDenied(_("This account is suspended."))
    if reason not in REASONS:
        raise ApplicationError(_("Choose a reason."), field="reason")
    note = clean_text(note, field="note", label=_("Note"), max_length=NOTE_MAX, required=False)
    target = resolve_target(target_type, target_id, video_id, user=user)
    if target["owner"] == user.user_id:
        raise ApplicationError(_("You cannot report your own content."))
    enforce(
        f"report#{user.user_id}",
        limit=settings.REPORTS_PER_HOUR,
        window_s=3600,
        message=_("You have sent many reports recently. Try again later."),
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
        ReportTarget.queue_partition.set(sharded_key(QUEUE, target["key"], QUEUE_SHARDS)),
        ReportTarget.last_reported_at.set(now),
    ]
    if note:
        actions.append(
            ReportTarget.recent_notes.set((ReportTarget.recent_notes | []).append([note]))
        )

    def write() -> None:
        with transaction() as tx:
            tx.save(
                report, condition=Report.reporter_id.does_not_exist() | (Report.status != "open")
            )
            tx.update(aggregate, actions=actions)

    # A video going viral for the wrong reasons gathers reports at once: conflicting
    # transactions on its aggregate are retried, not turned into errors.
    if not write_once(write):
        raise Conflict(_("You already reported this; a moderator will look at it."))
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
    video_set_in_review(video_id=video.video_id, in_review=True)


def report_close(*, target_key: str, report_status: str) -> ReportTarget | None:
    """Take a target out of the queue and settle its open reports."""
    target = report_target(target_key)
    if target is None:
        return None
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
    return target
