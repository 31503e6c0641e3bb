"""What the reconcile commands share: --dry-run, --limit, and --every to keep running."""

import logging
import time

from django.core.management.base import BaseCommand

logger = logging.getLogger(__name__)


class ReconcileCommand(BaseCommand):
    """Runs ``reconcile`` once, or with ``--every SECONDS`` for ever: a round that fails
    (a dependency blip) is logged and the next round tries again."""

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Report, change nothing.")
        parser.add_argument("--limit", type=int, default=100, help="At most this many items.")
        parser.add_argument(
            "--every",
            type=float,
            default=0,
            metavar="SECONDS",
            help="Keep running, once every SECONDS (the local stack runs it so).",
        )

    def handle(self, *args, dry_run: bool, limit: int, every: float, verbosity: int = 1, **opts):
        if every <= 0:
            self.reconcile(dry_run=dry_run, limit=limit, verbosity=verbosity)
            return
        while True:
            try:
                self.reconcile(dry_run=dry_run, limit=limit, verbosity=verbosity)
            except Exception:  # noqa: BLE001 - the next round retries
                logger.exception("%s: a round failed", self.__module__.rsplit(".", 1)[-1])
            time.sleep(every)

    def reconcile(self, *, dry_run: bool, limit: int, verbosity: int) -> None:
        raise NotImplementedError
