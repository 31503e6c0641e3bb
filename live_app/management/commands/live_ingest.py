"""Run the local RTMP ingest (nginx-rtmp) for live sessions; Ctrl-C stops it."""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from live_app.ingest import IngestServer, IngestUnavailable
from videoplatform.local_servers import BASE_DIR


class Command(BaseCommand):
    help = "Accept RTMP publishers on 127.0.0.1:1935 for sessions awaiting a stream; HLS to S3."

    def add_arguments(self, parser):
        parser.add_argument("--work-dir", default=str(BASE_DIR / ".data" / "live"))

    def handle(self, *args, work_dir: str, **options):
        if settings.LIVE_BACKEND != "local":
            raise CommandError(
                "live_ingest serves the local live backend only (LIVE_BACKEND=local)."
            )
        server = IngestServer(
            rtmp_host=settings.LIVE_RTMP_HOST,
            rtmp_port=settings.LIVE_RTMP_PORT,
            callback_port=settings.LIVE_CALLBACK_PORT,
            work_dir=work_dir,
        )
        try:
            server.start()
        except IngestUnavailable as error:
            raise CommandError(str(error)) from None
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        self.stdout.write(
            self.style.SUCCESS(
                f"RTMP ingest on rtmp://{settings.LIVE_RTMP_HOST}:{settings.LIVE_RTMP_PORT}"
                "/live/<stream key>"
            )
        )
        stop.wait()
        server.stop()
