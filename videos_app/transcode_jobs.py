"""Transcode jobs: submitting a video to the transcoder, a worker's claim and lease,
the job's events (from MediaConvert through EventBridge, or the local worker), and
reconcile's settling of what got stuck. Every move goes through ``states.transition``.
"""

import logging

from django.conf import settings
from django.utils.translation import gettext as _

from videoplatform import storage
from videoplatform.dynamodb import now_s
from videoplatform.errors import ApplicationError
from videos_app.keys import source_key_of
from videos_app.models import PENDING_STATUSES, Video, VideoStatus
from videos_app.permissions import require_manager
from videos_app.publishing import video_publish
from videos_app.selectors import video_get
from videos_app.states import not_pending_actions, pending_actions, transition
from videos_app.transcode_outputs import output_actions, outputs_from_detail
from videos_app.transcoding.backends import get_transcoder

logger = logging.getLogger(__name__)


def video_submit(*, video: Video) -> Video:
    """Hand an uploaded video to the transcoder: queued for the local worker, or queued
    with its MediaConvert job id. Refused for now, it stays ``uploaded`` for reconcile."""
    submission = get_transcoder().submit(video=video)
    if submission.accepted:
        video_queue(video=video, job_id=submission.job_id, probed=submission.probed)
    elif submission.failure_reason:
        video_fail(
            video=video, reason=submission.failure_reason, from_statuses=[VideoStatus.UPLOADED]
        )
    video.refresh()
    return video


def video_queue(*, video: Video, job_id: str | None = None, probed: dict | None = None) -> bool:
    """uploaded -> queued (the ffmpeg worker picks it up, or MediaConvert has the job);
    what the transcoder's probe learnt (duration, top size) is recorded with it."""
    actions = pending_actions(video, VideoStatus.QUEUED)
    if job_id:
        actions.append(Video.job_id.set(job_id))
    actions += output_actions(probed or {})
    return transition(video, from_statuses=[VideoStatus.UPLOADED], actions=actions)


def video_retry(*, actor, video: Video) -> Video:
    """Transcode a failed video again from its stored source."""
    require_manager(actor, video)
    if video.status != VideoStatus.FAILED:
        raise ApplicationError(_("Only a failed video can be retried."))
    if storage.head_object(bucket=settings.S3_RAW_BUCKET, key=source_key_of(video)) is None:
        raise ApplicationError(
            _("The original file is gone; delete this video and upload it again.")
        )
    moved = transition(
        video,
        from_statuses=[VideoStatus.FAILED],
        actions=[
            *pending_actions(video, VideoStatus.UPLOADED),
            Video.status_reason.remove(),
            Video.attempts.set(0),
            Video.job_id.remove(),
            Video.progress.set(0),
        ],
    )
    if not moved:
        raise ApplicationError(_("This video changed meanwhile; reload the page."))
    return video_submit(video=video)


# --- A local worker's claim and lease ------------------------------------------------


def video_claim(*, video: Video, worker_id: str, job_id: str) -> bool:
    """Take a queued video for this worker with a lease (a conditional update)."""
    return transition(
        video,
        from_statuses=[VideoStatus.QUEUED],
        actions=[
            Video.status.set(str(VideoStatus.PROCESSING)),
            Video.lease_owner.set(worker_id),
            Video.lease_expires_at.set(now_s() + settings.TRANSCODE_LEASE_S),
            Video.attempts.add(1),
            Video.job_id.set(job_id),
            Video.progress.set(0),
        ],
    )


def video_renew_lease(*, video: Video, worker_id: str) -> bool:
    """Extend the lease; False when it was lost (requeued by reconcile)."""
    return transition(
        video,
        from_statuses=[VideoStatus.PROCESSING],
        actions=[Video.lease_expires_at.set(now_s() + settings.TRANSCODE_LEASE_S)],
        extra_condition=Video.lease_owner == worker_id,
    )


def video_requeue_expired(*, video: Video, now: int | None = None) -> bool:
    """A worker died holding the lease: put the video back in the queue."""
    now = now_s() if now is None else now
    return _back_to_queue(video, condition=Video.lease_expires_at < now)


def video_release(*, video: Video, worker_id: str) -> bool:
    """A worker that is shutting down hands its video back to the queue at once, without
    counting the attempt; only while it still holds the lease."""
    return _back_to_queue(
        video, condition=Video.lease_owner == worker_id, extra_actions=[Video.attempts.add(-1)]
    )


def _back_to_queue(video: Video, *, condition, extra_actions=()) -> bool:
    """processing -> queued, the lease and job dropped, if ``condition`` holds."""
    return transition(
        video,
        from_statuses=[VideoStatus.PROCESSING],
        actions=[
            *pending_actions(video, VideoStatus.QUEUED),
            Video.lease_owner.remove(),
            Video.lease_expires_at.remove(),
            Video.job_id.remove(),
            *extra_actions,
        ],
        extra_condition=condition,
    )


def video_fail(*, video: Video, reason: str, from_statuses=PENDING_STATUSES) -> bool:
    return transition(
        video,
        from_statuses=from_statuses,
        actions=[
            Video.status.set(str(VideoStatus.FAILED)),
            Video.status_reason.set(reason[:500]),
            *not_pending_actions(),
            Video.lease_owner.remove(),
            Video.lease_expires_at.remove(),
        ],
    )


# --- Job events ----------------------------------------------------------------------


def video_apply_transcode_event(*, detail: dict, event: dict) -> bool:
    """Apply a "MediaConvert Job State Change" (from AWS or the local worker).

    Only events for the video's current job count; PROGRESSING never leaves a final
    state, COMPLETE and ERROR only leave pending states.
    """
    metadata = detail.get("userMetadata") or {}
    video_id = metadata.get("video_id") if isinstance(metadata, dict) else None
    job_id = detail.get("jobId")
    status = detail.get("status")
    video = video_get(video_id) if isinstance(video_id, str) else None
    if video is None or not job_id or video.job_id != job_id:
        logger.info("transcode event for an unknown job ignored")
        return False
    if status == "PROGRESSING" or status == "STATUS_UPDATE":
        percent = detail.get("jobProgress", {}).get("jobPercentComplete")
        actions = [Video.status.set(str(VideoStatus.PROCESSING))]
        if isinstance(percent, int | float):
            actions.append(Video.progress.set(max(0, min(99, int(percent)))))
        actions += output_actions(outputs_from_detail(detail))
        return transition(
            video, from_statuses=[VideoStatus.QUEUED, VideoStatus.PROCESSING], actions=actions
        )
    if status == "COMPLETE":
        outputs = outputs_from_detail(detail)
        if not outputs.get("playlist_key"):
            return video_fail(video=video, reason="The transcoder produced no playlist.")
        return video_publish(video=video, outputs=outputs)
    if status in {"ERROR", "CANCELED"}:
        reason = detail.get("errorMessage") or (
            "Transcoding was cancelled." if status == "CANCELED" else "Transcoding failed."
        )
        return video_fail(video=video, reason=str(reason))
    return False


# --- Reconcile -----------------------------------------------------------------------


def video_reconcile(*, video: Video, now: int, dry_run: bool = False) -> str:
    """Settle a video stuck in a pending state from the transcoder's own truth.
    Returns what was (or, with dry_run, would be) done."""
    settlement = get_transcoder().settle(video=video, now=now)
    if dry_run or settlement.action == "none":
        return settlement.note
    if settlement.action == "submit":
        video_submit(video=video)
    elif settlement.action == "requeue":
        if not video_requeue_expired(video=video, now=now):
            return "lease renewed meanwhile"
    elif settlement.action == "fail":
        video_fail(video=video, reason=settlement.reason, from_statuses=[VideoStatus.PROCESSING])
    elif settlement.action == "event":
        detail = {
            "jobId": video.job_id,
            "userMetadata": {"video_id": video.video_id},
            **(settlement.detail or {}),
        }
        video_apply_transcode_event(detail=detail, event={})
    return settlement.note
