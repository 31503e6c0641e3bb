"""Settle live sessions whose IVS events were lost (EventBridge delivery is best effort).

A session still marked live after LIVE_QUIET_AFTER_S is checked with the live service
(IVS GetStream; locally, whether the ingest still refreshes the playlist) and ended if
nothing is broadcasting. An ended session without a replay gets one from the recording
found in storage, or is given up on after LIVE_REPLAY_WAIT_S.
"""

from live_app.backends.base import LiveBackendError
from live_app.models import AWAITING_REPLAY, LIVE_NOW
from live_app.selectors import live_index_sessions
from live_app.services import live_reconcile
from videoplatform.dynamodb import now_s
from videoplatform.management.reconcile import ReconcileCommand


class Command(ReconcileCommand):
    help = "End live sessions nobody streams to any more and make their missing replays."

    def reconcile(self, *, dry_run: bool, limit: int, verbosity: int) -> None:
        now = now_s()
        seen = changed = 0
        for name in (LIVE_NOW, AWAITING_REPLAY):
            for session in live_index_sessions(name, limit=limit):
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
