"""Settle live sessions whose IVS events were lost (EventBridge delivery is best effort).

A session still marked live after LIVE_QUIET_AFTER_S is checked with the live service
(IVS GetStream; locally, whether the ingest still refreshes the playlist) and ended if
nothing is broadcasting. An ended session without a replay gets one from the recording
found in storage, or is given up on after LIVE_REPLAY_WAIT_S.
"""

import logging
import time

from django.core.management.base import BaseCommand

from live_app.backends.base import LiveBackendError
from live_app.models import AWAITING_REPLAY, LIVE_NOW, LivestreamSession
from live_app.services import live_reconcile
from videoplatform.dynamodb import now_s

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "End live sessions nobody streams to any more and make their missing replays."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Report, change nothing.")
        parser.add_argument("--limit", type=int, default=100, help="At most this many sessions.")
        parser.add_argument(
            "--every",
            type=float,
            default=0,
            metavar="SECONDS",
            help="Keep running, once every SECONDS (the local stack runs it so).",
        )

    def handle(self, *args, dry_run: bool, limit: int, every: float, verbosity: int = 1, **opts):
        if every <= 0:
            self._reconcile(dry_run=dry_run, limit=limit, verbosity=verbosity)
            return
        while True:
            try:
                self._reconcile(dry_run=dry_run, limit=limit, verbosity=verbosity)
            except Exception:  # noqa: BLE001 - a dependency blip: the next round retries
                logger.exception("live reconcile round failed")
            time.sleep(every)

    def _reconcile(self, *, dry_run: bool, limit: int, verbosity: int) -> None:
        now = now_s()
        seen = changed = 0
        for partition in (LIVE_NOW, AWAITING_REPLAY):
            for session in LivestreamSession.live_index.query(
                partition, limit=limit, page_size=min(limit, 100)
            ):
                seen += 1
                try:
                    outcome = live_reconcile(session=session, now=now, dry_run=dry_run)
                except LiveBackendError as error:
                    outcome = f"left: {error.reason}"
                if outcome.startswith(("ended", "replay made", "given up")):
                    changed += 1
                if verbosity > 1 or (verbosity and not outcome.startswith(("live", "waiting"))):
                    self.stdout.write(f"{session.stream_id} [{session.status}] -> {outcome}")
        verb = "would settle" if dry_run else "settled"
        self.stdout.write(self.style.SUCCESS(f"checked {seen} live session(s), {verb} {changed}"))
