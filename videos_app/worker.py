"""The local transcode worker: claims queued videos, runs ffmpeg, publishes to S3.

It reports through the same event handler AWS uses: every state change is a
"MediaConvert Job State Change"-shaped event passed to ``handle_event``, so the
local path exercises exactly the production intake (idempotency, ordering rules).
"""

import logging
import os
import secrets
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings

from videoplatform.aws import s3_client
from videoplatform.events import handle_event, make_event
from videos_app import transcode_jobs
from videos_app.keys import hls_prefix, source_key_of
from videos_app.models import Video
from videos_app.selectors import queued_videos
from videos_app.transcoding.ffmpeg_encoder import EncodeError, encode_hls
from videos_app.transcoding.ladder import build_ladder
from videos_app.transcoding.probe import InvalidSourceError, probe_source

logger = logging.getLogger(__name__)

PROGRESS_EVENT_EVERY_S = 2.0
CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".jpg": "image/jpeg",
}


def new_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


class LeaseKeeper(threading.Thread):
    """Renews the lease while a video is being worked on; notices when it is lost."""

    def __init__(self, *, video: Video, worker_id: str):
        super().__init__(daemon=True)
        self.video = video
        self.worker_id = worker_id
        self.lost = threading.Event()
        self._stop = threading.Event()

    def run(self) -> None:
        interval = max(1.0, settings.TRANSCODE_LEASE_S / 3)
        while not self._stop.wait(interval):
            try:
                if not transcode_jobs.video_renew_lease(video=self.video, worker_id=self.worker_id):
                    self.lost.set()
                    return
            except Exception:  # noqa: BLE001 - a blip: try again next interval
                logger.warning("could not renew the lease of %s", self.video.video_id)

    def stop(self) -> None:
        self._stop.set()


class WorkerStopping(Exception):
    """The worker was asked to stop in the middle of a transcode."""


class TranscodeWorker:
    def __init__(self, *, worker_id: str | None = None, work_dir: str | None = None):
        self.worker_id = worker_id or new_worker_id()
        self.work_dir = work_dir or settings.TRANSCODE_WORK_DIR or None
        # Set when the worker should stop: a transcode in progress is cut short and its
        # video handed back to the queue, so another worker (or this one, restarted)
        # takes it up at once rather than after the lease runs out.
        self.stopping = threading.Event()

    # --- finding and claiming work -----------------------------------------------

    def run_once(self) -> bool:
        """Claim and transcode one queued video. False when there was nothing to do."""
        for video in queued_videos():
            job_id = f"local-{secrets.token_hex(6)}"
            if transcode_jobs.video_claim(video=video, worker_id=self.worker_id, job_id=job_id):
                self.process(video=video, job_id=job_id)
                return True
        return False

    def run_forever(self, *, poll_s: float = 1.0, stop: threading.Event | None = None) -> None:
        stop = self.stopping = stop or self.stopping
        while not stop.is_set():
            try:
                worked = self.run_once()
            except Exception:
                logger.exception("transcode worker loop error")
                worked = False
            if not worked:
                stop.wait(poll_s)

    # --- doing the work -------------------------------------------------------------

    def _emit(self, *, video: Video, job_id: str, status: str, **extra) -> None:
        detail = {
            "timestamp": int(time.time() * 1000),
            "jobId": job_id,
            "status": status,
            "userMetadata": {"video_id": video.video_id, "app": settings.MEDIACONVERT_APP_TAG},
            **extra,
        }
        handle_event(
            make_event(
                source="aws.mediaconvert",
                detail_type="MediaConvert Job State Change",
                detail=detail,
                resources=[f"local:jobs/{job_id}"],
            )
        )

    def _upload(self, *, out_dir: Path, files: list[str], prefix: str) -> None:
        client = s3_client()
        for name in files:
            path = out_dir / name
            content_type = CONTENT_TYPES.get(path.suffix, "application/octet-stream")
            client.upload_file(
                str(path),
                settings.S3_MEDIA_BUCKET,
                prefix + name,
                ExtraArgs={"ContentType": content_type},
            )

    def _output_details(
        self,
        *,
        prefix: str,
        rungs,
        poster: str | None,
        duration_s: float | None,
    ) -> list[dict]:
        media = f"s3://{settings.S3_MEDIA_BUCKET}/{prefix}"
        hls = {
            "type": "HLS_GROUP",
            "playlistFilePaths": [media + "master.m3u8"],
            "outputDetails": [
                {
                    "outputFilePaths": [f"{media}{rung.name}/index.m3u8"],
                    "durationInMs": int((duration_s or 0) * 1000),
                    "videoDetails": {"widthInPx": rung.width, "heightInPx": rung.height},
                }
                for rung in rungs
            ],
        }
        groups = [hls]
        if poster:
            groups.append(
                {"type": "FILE_GROUP", "outputDetails": [{"outputFilePaths": [media + poster]}]}
            )
        return groups

    def process(self, *, video: Video, job_id: str) -> None:
        keeper = LeaseKeeper(video=video, worker_id=self.worker_id)
        keeper.start()
        tmp = Path(tempfile.mkdtemp(prefix=f"transcode-{video.video_id}-", dir=self.work_dir))
        prefix = hls_prefix(video.video_id)
        try:
            source = tmp / "source"
            s3_client().download_file(settings.S3_RAW_BUCKET, source_key_of(video), str(source))
            try:
                info = probe_source(str(source))
            except InvalidSourceError as error:
                self._emit(video=video, job_id=job_id, status="ERROR", errorMessage=error.reason)
                return
            self._emit(
                video=video,
                job_id=job_id,
                status="PROGRESSING",
                jobProgress={"jobPercentComplete": 0},
            )
            out_dir = tmp / "out"
            last_progress = [0.0]

            def on_progress(fraction: float) -> None:
                if self.stopping.is_set():
                    raise WorkerStopping  # stops ffmpeg; the video goes back to the queue
                now = time.monotonic()
                if now - last_progress[0] >= PROGRESS_EVENT_EVERY_S and not keeper.lost.is_set():
                    last_progress[0] = now
                    self._emit(
                        video=video,
                        job_id=job_id,
                        status="PROGRESSING",
                        jobProgress={"jobPercentComplete": int(fraction * 100)},
                    )

            published: set[str] = set()
            announced = [False]

            def on_first_playable(files: list[str]) -> None:
                # The lowest rung is published while it grows, so the video plays within
                # seconds: new segments first, then the playlists that list them.
                fresh = [f for f in files if not f.endswith(".m3u8") and f not in published]
                self._upload(out_dir=out_dir, files=fresh, prefix=prefix)
                published.update(fresh)
                playlists = [
                    f for f in files if f.endswith(".m3u8") and not f.endswith("master.m3u8")
                ]
                self._upload(out_dir=out_dir, files=playlists, prefix=prefix)
                self._upload(out_dir=out_dir, files=["master.m3u8"], prefix=prefix)
                if announced[0]:
                    return  # the video already knows its playlist; only files changed
                announced[0] = True
                lowest = build_ladder(info=info)[-1:]  # biggest first: the last is the lowest
                poster = "poster.jpg" if "poster.jpg" in files else None
                self._emit(
                    video=video,
                    job_id=job_id,
                    status="PROGRESSING",
                    outputGroupDetails=self._output_details(
                        prefix=prefix,
                        rungs=lowest,
                        poster=poster,
                        duration_s=info.duration_s,
                    ),
                )

            result = encode_hls(
                source_path=str(source),
                out_dir=str(out_dir),
                info=info,
                on_progress=on_progress,
                on_first_playable=on_first_playable,
                frame_buffer_bytes=settings.TRANSCODE_FRAME_BUFFER_MB * 1024 * 1024,
            )
            if keeper.lost.is_set():
                logger.warning("lease on %s lost; its result is discarded", video.video_id)
                return
            masters_last = [f for f in result.files if not f.endswith("master.m3u8")] + [
                "master.m3u8"
            ]
            self._upload(out_dir=out_dir, files=masters_last, prefix=prefix)
            self._emit(
                video=video,
                job_id=job_id,
                status="COMPLETE",
                outputGroupDetails=self._output_details(
                    prefix=prefix,
                    rungs=result.rungs,
                    poster=Path(result.poster_path).name if result.poster_path else None,
                    duration_s=result.duration_s,
                ),
            )
        except EncodeError as error:
            self._emit(video=video, job_id=job_id, status="ERROR", errorMessage=error.reason)
        except WorkerStopping:
            if transcode_jobs.video_release(video=video, worker_id=self.worker_id):
                logger.info("stopping: %s is back in the queue", video.video_id)
        finally:
            keeper.stop()
            shutil.rmtree(tmp, ignore_errors=True)
