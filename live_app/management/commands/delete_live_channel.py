"""Delete the IVS channel a channel of ours keeps for going live.

There is no channel deletion in the app yet; when one is added it calls
``live_app.service_channels.service_channel_delete`` for the channel. Until then this
command releases an IVS channel by hand (IVS caps channels per account). Refused while
the channel is live; the next go-live of the channel makes a new IVS channel.
"""

from django.core.management.base import BaseCommand, CommandError

from live_app.service_channels import service_channel_delete
from videoplatform.errors import ApplicationError


class Command(BaseCommand):
    help = "Delete the IVS channel kept for one of our channels (not while it is live)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("channel_ids", nargs="+", metavar="channel_id")
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be deleted; change nothing."
        )

    def handle(self, *args, channel_ids: list[str], dry_run: bool, verbosity: int, **options):
        failed = 0
        for channel_id in channel_ids:
            try:
                outcome = service_channel_delete(channel_id=channel_id, dry_run=dry_run)
            except ApplicationError as error:
                failed += 1
                self.stderr.write(f"{channel_id}: {error.message}")
                continue
            if verbosity:
                self.stdout.write(self.style.SUCCESS(f"{channel_id}: {outcome}"))
        if failed:
            raise CommandError(f"{failed} channel(s) not deleted")
