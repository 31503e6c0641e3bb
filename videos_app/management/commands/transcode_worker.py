"""Run the local transcode worker: claim queued videos and transcode them with ffmpeg."""

import signal
import threading

from django.core.management.base import BaseCommand

from videos_app.worker import TranscodeWorker


class Command(BaseCommand):
    help = "Claim queued videos (with a lease), transcode them to HLS with ffmpeg, publish to S3."

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Process at most one video and exit."
        )
        parser.add_argument(
            "--poll", type=float, default=1.0, help="Seconds between polls when idle."
        )

    def handle(self, *args, once: bool, poll: float, verbosity: int = 1, **options):
        worker = TranscodeWorker()
        if once:
            worked = worker.run_once()
            self.stdout.write("processed one video" if worked else "nothing queued")
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        if verbosity:
            self.stdout.write(self.style.SUCCESS(f"transcode worker {worker.worker_id} polling"))
        worker.run_forever(poll_s=poll, stop=stop)
