"""Keep the search index up to date: drain the pending-index queue into the engine."""

import os
import signal
import socket
import threading

from django.core.management.base import BaseCommand

from videos_app.search import worker
from videos_app.search.indexer import drain_until_idle
from videos_app.search.loader import get_search_backend


class Command(BaseCommand):
    help = "Index changed videos, channels and live streams (runs until stopped)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Drain what is waiting now, then exit."
        )
        parser.add_argument("--poll", type=float, default=0.5, help="Seconds between looks.")
        parser.add_argument("--worker-id", default="", help="Defaults to host:pid.")

    def handle(self, *args, once: bool, poll: float, worker_id: str, **options):
        holder = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        backend = get_search_backend()
        if once:
            tally = drain_until_idle(backend=backend)
            self.stdout.write(f"search: indexed={tally.indexed} deleted={tally.deleted}")
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        tally = worker.run(backend=backend, holder=holder, stop=stop, poll_s=poll)
        self.stdout.write(
            f"search: indexed={tally.indexed} deleted={tally.deleted} failures={tally.failures}"
        )
