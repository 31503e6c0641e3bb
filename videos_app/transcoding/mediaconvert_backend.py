"""Transcoding with AWS Elemental MediaConvert; events arrive through EventBridge."""

from django.conf import settings

from videoplatform import aws
from videoplatform.storage import head_object
from videos_app.keys import hls_prefix, media_key_from_uri, raw_key
from videos_app.models import Video, VideoStatus
from videos_app.transcoding.base import Settlement, Submission, TranscoderBackend
from videos_app.transcoding.mediaconvert import MediaConvertClient, MediaConvertError


class MediaConvertTranscoder(TranscoderBackend):
    name = "mediaconvert"

    def __init__(self, *, client: MediaConvertClient):
        self.client = client

    @classmethod
    def from_settings(cls) -> "MediaConvertTranscoder":
        return cls(
            client=MediaConvertClient(
                client=aws.client("mediaconvert"),
                role_arn=settings.MEDIACONVERT_ROLE_ARN,
                queue=settings.MEDIACONVERT_QUEUE or None,
                app_tag=settings.MEDIACONVERT_APP_TAG,
            )
        )

    def submit(self, *, video: Video) -> Submission:
        try:
            job_id = self.client.create_job(
                video_id=video.video_id,
                input_uri=f"s3://{settings.S3_RAW_BUCKET}/{raw_key(video.video_id)}",
                output_prefix_uri=f"s3://{settings.S3_MEDIA_BUCKET}/{hls_prefix(video.video_id)}",
            )
        except MediaConvertError:
            # Left in "uploaded": reconcile_transcodes submits it again.
            return Submission(accepted=False)
        return Submission(accepted=True, job_id=job_id)

    def settle(self, *, video: Video, now: int) -> Settlement:
        if video.status == VideoStatus.UPLOADED or not video.job_id:
            return Settlement("submit", "submitted")
        job = self.client.get_job(video.job_id)
        if not job.finished:
            if job.status == "PROGRESSING":
                detail = {
                    "status": "PROGRESSING",
                    "jobProgress": {"jobPercentComplete": job.percent or 0},
                }
                return Settlement("event", f"MediaConvert says {job.status}", detail=detail)
            return Settlement("none", f"MediaConvert says {job.status}")
        detail: dict = {"status": job.status}
        if job.status == "COMPLETE":
            detail["outputGroupDetails"] = [
                {"type": "HLS_GROUP", "playlistFilePaths": [job.playlist_uri], "outputDetails": []},
            ]
            poster = self._first_existing(job.poster_uris)
            if poster:
                detail["outputGroupDetails"].append(
                    {"type": "FILE_GROUP", "outputDetails": [{"outputFilePaths": [poster]}]}
                )
        else:
            detail["errorMessage"] = job.error_message or f"MediaConvert job {job.status}"
        return Settlement("event", f"settled from MediaConvert: {job.status}", detail=detail)

    @staticmethod
    def _first_existing(uris) -> str | None:
        for uri in uris:
            key = media_key_from_uri(uri)
            if key and head_object(bucket=settings.S3_MEDIA_BUCKET, key=key):
                return uri
        return None
