"""Run the publish fan-out outside web requests: feed entries and notifications for
every subscriber of a channel that published, 25 items per BatchWrite."""

import signal
import threading

from django.core.management.base import BaseCommand

from social_app.services import run_pending_fanouts


class Command(BaseCommand):
    help = "Deliver published videos to subscribers' feeds and notifications."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Process what is pending and exit.")
        parser.add_argument("--poll", type=float, default=1.0)

    def handle(self, *args, once: bool, poll: float, verbosity: int = 1, **options):
        if once:
            done = run_pending_fanouts()
            self.stdout.write(self.style.SUCCESS(f"fanned out {done} video(s)"))
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        while not stop.is_set():
            try:
                done = run_pending_fanouts()
            except Exception as error:  # noqa: BLE001 - keep serving; the item stays pending
                self.stderr.write(f"fan-out error: {type(error).__name__}")
                done = 0
            if not done:
                stop.wait(poll)
