"""Settle videos stuck in pending states from the backend's own truth.

ffmpeg: expired leases are requeued; a video past TRANSCODE_MAX_ATTEMPTS fails with a
reason. MediaConvert: each job is read with GetJob and its state applied. Uploads still
unfinished UPLOAD_ABANDONED_AFTER_S after they began go on to transcoding when the file
did arrive, and fail with a reason when it did not.
"""

import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from videoplatform.dynamodb import now_s
from videos_app.models import PENDING_PARTITION, UPLOADING_PARTITION, Video
from videos_app.selectors import video_get
from videos_app.services import video_settle_unfinished_upload
from videos_app.transcoding.backends import get_transcoder

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Requeue, fail or settle videos whose transcode is stuck."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Report, change nothing.")
        parser.add_argument("--limit", type=int, default=100, help="At most this many videos.")
        parser.add_argument(
            "--every",
            type=float,
            default=0,
            metavar="SECONDS",
            help="Keep running, once every SECONDS (the local stack runs it so).",
        )

    def handle(self, *args, dry_run: bool, limit: int, every: float, verbosity: int = 1, **opts):
        if every <= 0:
            self._reconcile(dry_run=dry_run, limit=limit, verbosity=verbosity)
            return
        while True:
            try:
                self._reconcile(dry_run=dry_run, limit=limit, verbosity=verbosity)
            except Exception:  # noqa: BLE001 - a dependency blip: the next round retries
                logger.exception("reconcile round failed")
            time.sleep(every)

    def _reconcile(self, *, dry_run: bool, limit: int, verbosity: int) -> None:
        backend = get_transcoder()
        now = now_s()
        seen = 0
        changed = 0
        for stub in Video.pending_index.query(
            PENDING_PARTITION, limit=limit, page_size=min(limit, 100)
        ):
            seen += 1
            try:
                video = Video.get(stub.video_id, consistent_read=True)
            except Video.DoesNotExist:
                continue
            # Noted first: reconcile updates the item in place, so video.status is the new one.
            status_before = video.status
            outcome = backend.reconcile(video=video, now=now, dry_run=dry_run)
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
        for stub in Video.pending_index.query(
            UPLOADING_PARTITION,
            Video.pending_since < cutoff,
            limit=limit,
            page_size=min(limit, 100),
        ):
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
