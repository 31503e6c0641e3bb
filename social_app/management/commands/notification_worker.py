"""Run the publish and go-live fan-out outside web requests: claim open fan-out tasks
(one shard of a channel's subscribers each), deliver them page by page with a lease and
a checkpoint, and resume tasks whose worker died once their lease has run out.

Several workers may run at once; they share a job's shards.
"""

import os
import signal
import socket
import threading

from django.core.management.base import BaseCommand

from social_app.fanout import FANOUT_LEASE_S, FanoutTally, fanout_run_once


class Command(BaseCommand):
    help = "Deliver published videos and go-live notices to subscribers' feeds and notifications."
    # A worker serves no URLs: the system checks would import every view and template tag
    # (about 20 MB of a worker that otherwise holds one page of subscribers).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Run every task that is free now, then exit."
        )
        parser.add_argument("--poll", type=float, default=1.0, help="Seconds between looks.")
        parser.add_argument(
            "--lease",
            type=float,
            default=FANOUT_LEASE_S,
            help="Seconds a claimed task stays this worker's without a checkpoint.",
        )
        parser.add_argument("--worker-id", default="", help="Defaults to host:pid.")

    def handle(
        self,
        *args,
        once: bool,
        poll: float,
        lease: float,
        worker_id: str,
        verbosity: int = 1,
        **options,
    ):
        worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        tally = FanoutTally()
        if once:
            while fanout_run_once(worker_id=worker_id, lease_s=lease, tally=tally):
                pass
            self._report(tally)
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        while not stop.is_set():
            try:
                # A SIGTERM waits for the page in hand at most: the task is then handed
                # back at its checkpoint for another worker.
                done = fanout_run_once(
                    worker_id=worker_id, lease_s=lease, tally=tally, should_stop=stop.is_set
                )
            except Exception as error:  # noqa: BLE001 - keep serving; the task resumes later
                self.stderr.write(f"fan-out error: {type(error).__name__}: {error}")
                done = 0
            if done and verbosity > 1:
                self._report(tally)
            if not done:
                stop.wait(poll)
        self._report(tally)

    def _report(self, tally: FanoutTally) -> None:
        # The benchmark reads this line (batch_requests=...).
        self.stdout.write(
            self.style.SUCCESS(
                f"fan-out: tasks={tally.tasks} subscribers={tally.subscribers} "
                f"batch_requests={tally.batch_requests}"
            )
        )
