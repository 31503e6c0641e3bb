"""Local transcoding: submit queues the video; ``transcode_worker`` does the work."""

from django.conf import settings

from videos_app.models import Video, VideoStatus
from videos_app.transcoding.base import Settlement, Submission, TranscoderBackend


class FfmpegTranscoder(TranscoderBackend):
    name = "ffmpeg"

    def submit(self, *, video: Video) -> Submission:
        return Submission(accepted=True)

    def settle(self, *, video: Video, now: int) -> Settlement:
        if video.status == VideoStatus.UPLOADED:
            return Settlement("submit", "queued")
        if video.status != VideoStatus.PROCESSING:
            return Settlement("none", "waiting for a worker")
        if video.lease_expires_at and video.lease_expires_at >= now:
            return Settlement("none", "being transcoded")
        if video.attempts >= settings.TRANSCODE_MAX_ATTEMPTS:
            return Settlement(
                "fail",
                "failed: too many attempts",
                reason=(
                    f"Transcoding did not finish after {video.attempts} attempts. "
                    "Retry, or upload the file again."
                ),
            )
        return Settlement("requeue", "requeued: lease expired")
