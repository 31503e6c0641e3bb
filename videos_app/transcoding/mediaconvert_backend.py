"""Transcoding with AWS Elemental MediaConvert; events arrive through EventBridge."""

from django.conf import settings

from videoplatform import aws
from videoplatform.events import make_event
from videos_app import services
from videos_app.models import Video, VideoStatus
from videos_app.transcoding.base import TranscoderBackend
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

    def submit(self, *, video: Video) -> None:
        try:
            job_id = self.client.create_job(
                video_id=video.video_id,
                input_uri=f"s3://{settings.S3_RAW_BUCKET}/{services.raw_key(video.video_id)}",
                output_prefix_uri=f"s3://{settings.S3_MEDIA_BUCKET}/{services.hls_prefix(video.video_id)}",
            )
        except MediaConvertError:
            # Left in "uploaded": reconcile_transcodes submits it again.
            return
        services.video_queue(video=video, job_id=job_id)

    def reconcile(self, *, video: Video, now: int, dry_run: bool) -> str:
        if video.status == VideoStatus.UPLOADED or not video.job_id:
            if not dry_run:
                self.submit(video=video)
            return "submitted"
        job = self.client.get_job(video.job_id)
        if not job.finished:
            if job.status == "PROGRESSING" and not dry_run:
                self._apply(
                    video,
                    {
                        "status": "PROGRESSING",
                        "jobProgress": {"jobPercentComplete": job.percent or 0},
                    },
                )
            return f"MediaConvert says {job.status}"
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
        if not dry_run:
            self._apply(video, detail)
        return f"settled from MediaConvert: {job.status}"

    def _apply(self, video: Video, detail: dict) -> None:
        detail = {"jobId": video.job_id, "userMetadata": {"video_id": video.video_id}, **detail}
        services.video_apply_transcode_event(
            detail=detail,
            event=make_event(
                source="aws.mediaconvert",
                detail_type="MediaConvert Job State Change",
                detail=detail,
            ),
        )

    @staticmethod
    def _first_existing(uris) -> str | None:
        from videoplatform.storage import head_object

        for uri in uris:
            key = services.media_key_from_uri(uri)
            if key and head_object(bucket=settings.S3_MEDIA_BUCKET, key=key):
                return uri
        return None
