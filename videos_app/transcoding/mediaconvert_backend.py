"""Transcoding with AWS Elemental MediaConvert; events arrive through EventBridge."""

import logging

from django.conf import settings

from videoplatform import aws
from videoplatform.storage import head_object
from videos_app.keys import hls_prefix, media_key_from_uri, source_key_of
from videos_app.models import Video, VideoStatus
from videos_app.transcoding.base import Settlement, Submission, TranscoderBackend
from videos_app.transcoding.ladder import build_ladder
from videos_app.transcoding.mediaconvert import MediaConvertClient, MediaConvertError
from videos_app.transcoding.probe import InvalidSourceError

logger = logging.getLogger(__name__)


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
        input_uri = f"s3://{settings.S3_RAW_BUCKET}/{source_key_of(video)}"
        try:
            # Probed first so the job asks for exactly the ffmpeg path's ladder: never
            # bigger than the source (no paid HD minutes for a 360p upload), portrait
            # sized by its short side.
            info = self.client.probe(input_uri=input_uri)
            rungs = build_ladder(info=info)
            job_id = self.client.create_job(
                video_id=video.video_id,
                input_uri=input_uri,
                output_prefix_uri=f"s3://{settings.S3_MEDIA_BUCKET}/{hls_prefix(video.video_id)}",
                rungs=rungs,
            )
        except InvalidSourceError as error:
            return Submission(accepted=False, failure_reason=error.reason)
        except MediaConvertError as error:
            # Left in "uploaded": reconcile_transcodes submits it again.
            logger.warning("MediaConvert submission of %s refused: %s", video.video_id, error)
            return Submission(accepted=False)
        top = rungs[0]
        probed = {"width": top.width, "height": top.height}
        if info.duration_s > 0:
            probed["duration_s"] = round(info.duration_s, 3)
        return Submission(accepted=True, job_id=job_id, probed=probed)

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
