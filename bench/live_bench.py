"""Live benchmark (local backend): seconds from the publisher's first frame to the first
playable live segment in the bucket, and from the end of a 30 s stream to its replay
being ready."""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

from bench.results import record
from bench.stack import django_with_stack

STREAM_SECONDS = 30


def main(argv: list[str]) -> dict:
    django_with_stack()
    from django.conf import settings

    from conftest import make_channel, make_user
    from live_app import services
    from live_app.ingest import IngestServer, live_prefix
    from live_app.selectors import session_get
    from live_app.tests.publisher import start_publisher
    from videoplatform.aws import s3_client
    from videos_app.models import VideoStatus
    from videos_app.selectors import video_get
    from videos_app.worker import TranscodeWorker

    owner = make_user()
    channel = make_channel(owner=owner)
    session = services.live_session_create(
        actor=owner, channel_id=channel.channel_id, title="Bench stream"
    )
    workdir = Path(tempfile.mkdtemp(prefix="live-bench-"))
    ingest = IngestServer(
        rtmp_host="127.0.0.1",
        rtmp_port=settings.LIVE_RTMP_PORT,
        callback_port=settings.LIVE_CALLBACK_PORT,
        work_dir=workdir,
    )
    ingest.start()
    stop = threading.Event()
    worker = TranscodeWorker()
    threading.Thread(
        target=worker.run_forever, kwargs={"poll_s": 0.2, "stop": stop}, daemon=True
    ).start()
    try:
        publisher = start_publisher(
            f"rtmp://127.0.0.1:{settings.LIVE_RTMP_PORT}/live/{session.stream_key}",
            seconds=STREAM_SECONDS,
            size="1280x720",
        )
        # The publisher's first frame leaves within milliseconds of start (-re, lavfi).
        first_frame = time.monotonic()
        client = s3_client()
        first_segment_s = None
        while time.monotonic() - first_frame < 30:
            listed = client.list_objects_v2(
                Bucket=settings.S3_MEDIA_BUCKET, Prefix=live_prefix(session.stream_id)
            )
            names = [o["Key"] for o in listed.get("Contents", [])]
            if any(n.endswith(".ts") for n in names) and any(
                n.endswith("index.m3u8") for n in names
            ):
                first_segment_s = time.monotonic() - first_frame
                break
            time.sleep(0.05)
        publisher.wait(timeout=STREAM_SECONDS + 60)
        ended_at = time.monotonic()
        replay_ready_s = None
        while time.monotonic() - ended_at < 300:
            current = session_get(session.stream_id, consistent=True)
            if current.replay_video_id:
                replay = video_get(current.replay_video_id, consistent=True)
                if replay and replay.status == VideoStatus.READY:
                    replay_ready_s = time.monotonic() - ended_at
                    break
                if replay and replay.status == VideoStatus.FAILED:
                    raise RuntimeError(f"replay failed: {replay.status_reason}")
            time.sleep(0.1)
    finally:
        stop.set()
        ingest.stop()
    print(f"first frame -> first live segment in the bucket: {first_segment_s:.2f} s")
    print(
        f"end of a {STREAM_SECONDS} s stream -> replay ready: {replay_ready_s:.2f} s "
        f"({replay_ready_s / STREAM_SECONDS:.2f}x the stream's length)"
    )
    return record(
        live_first_segment_s=round(first_segment_s, 3), replay_ready_s=round(replay_ready_s, 3)
    )
