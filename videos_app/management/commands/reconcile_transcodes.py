"""Settle videos stuck in pending states from the backend's own truth.

ffmpeg: expired leases are requeued; a video past TRANSCODE_MAX_ATTEMPTS fails with a
reason. MediaConvert: each job is read with GetJob and its state applied. Uploads still
unfinished UPLOAD_ABANDONED_AFTER_S after they began go on to transcoding when the file
did arrive, and fail with a reason when it did not.
"""

from django.conf import settings

from videoplatform.dynamodb import now_s
from videoplatform.management.reconcile import ReconcileCommand
from videos_app.selectors import pending_videos, uploads_started_before, video_get
from videos_app.services import video_reconcile, video_settle_unfinished_upload


class Command(ReconcileCommand):
    help = "Requeue, fail or settle videos whose transcode is stuck."

    def reconcile(self, *, dry_run: bool, limit: int, verbosity: int) -> None:
        now = now_s()
        seen = 0
        changed = 0
        for stub in pending_videos(limit=limit):
            seen += 1
            video = video_get(stub.video_id, consistent=True)
            if video is None:
                continue  # deleted since the index was read
            # Noted first: reconcile updates the item in place, so video.status is the new one.
            status_before = video.status
            outcome = video_reconcile(video=video, now=now, dry_run=dry_run)
            if outcome.startswith(("requeued", "failed", "settled", "queued", "submitted")):
                changed += 1
            if verbosity > 1 or (
                verbosity and outcome.startswith(("requeued", "failed", "settled"))
            ):
                self.stdout.write(f"{video.video_id} [{status_before}] -> {outcome}")
        verb = "would settle" if dry_run else "settled"
        self.stdout.write(self.style.SUCCESS(f"checked {seen} pending video(s), {verb} {changed}"))
        self._settle_unfinished_uploads(
            cutoff=now - settings.UPLOAD_ABANDONED_AFTER_S,
            dry_run=dry_run,
            limit=limit,
            verbosity=verbosity,
        )

    def _settle_unfinished_uploads(self, *, cutoff: int, dry_run: bool, limit: int, verbosity):
        seen = settled = 0
        for stub in uploads_started_before(cutoff, limit=limit):
            video = video_get(stub.video_id, consistent=True)
            if video is None:
                continue  # deleted since the index was read
            seen += 1
            outcome = video_settle_unfinished_upload(video=video, dry_run=dry_run)
            if outcome.startswith(("submitted", "failed")):
                settled += 1
            if verbosity:
                self.stdout.write(f"{video.video_id} [uploading] -> {outcome}")
        verb = "would settle" if dry_run else "settled"
        self.stdout.write(
            self.style.SUCCESS(f"checked {seen} unfinished upload(s), {verb} {settled}")
        )
