"""Local transcoding: submit queues the video; ``transcode_worker`` does the work."""

from django.conf import settings

from videos_app import services
from videos_app.models import Video, VideoStatus
from videos_app.transcoding.base import TranscoderBackend


class FfmpegTranscoder(TranscoderBackend):
    name = "ffmpeg"

    def submit(self, *, video: Video) -> None:
        services.video_queue(video=video)

    def reconcile(self, *, video: Video, now: int, dry_run: bool) -> str:
        if video.status == VideoStatus.UPLOADED:
            if not dry_run:
                services.video_queue(video=video)
            return "queued"
        if video.status != VideoStatus.PROCESSING:
            return "waiting for a worker"
        if video.lease_expires_at and video.lease_expires_at >= now:
            return "being transcoded"
        if video.attempts >= settings.TRANSCODE_MAX_ATTEMPTS:
            if not dry_run:
                services.video_fail(
                    video=video,
                    reason=(
                        f"Transcoding did not finish after {video.attempts} attempts. "
                        "Retry, or upload the file again."
                    ),
                    from_statuses=[VideoStatus.PROCESSING],
                )
            return "failed: too many attempts"
        if not dry_run and not services.video_requeue_expired(video=video, now=now):
            return "lease renewed meanwhile"
        return "requeued: lease expired"
