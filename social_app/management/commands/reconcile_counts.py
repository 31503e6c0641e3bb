"""Re-derive counts from the items they count.

A count moves by an ``ADD`` after its item's own conditional write, outside any
transaction; a process that dies between the two leaves the count one off. This puts
it right: a video's likes (its Like items) and comments (its comments not deleted), a
channel's subscribers (its Subscriptions over the sharded subscriber index) and listed
videos (its channel-public-index). Views have no items to count (their markers expire)
and are left as they are.
"""

from django.core.management.base import BaseCommand, CommandError

from social_app.models import SUBSCRIBER_SHARDS, Comment, Like, Subscription
from videoplatform.tallies import Counts, channel_subject, tallies_get, tally_set, video_subject
from videos_app.models import Video


def video_truth(video_id: str) -> dict[str, int]:
    return {
        "likes": Like.count(video_id, consistent_read=True),
        "comments": Comment.count(
            video_id,
            filter_condition=Comment.deleted == False,  # noqa: E712 - a DynamoDB condition
            consistent_read=True,
        ),
    }


def channel_truth(channel_id: str) -> dict[str, int]:
    return {
        "subscribers": sum(
            Subscription.channel_shard_index.count(f"{channel_id}#{n}")
            for n in range(SUBSCRIBER_SHARDS)
        ),
        "videos": Video.channel_public_index.count(channel_id),
    }


class Command(BaseCommand):
    help = "Re-derive the counts of videos and channels from their items."

    def add_arguments(self, parser):
        parser.add_argument("--video", action="append", default=[], metavar="VIDEO_ID")
        parser.add_argument("--channel", action="append", default=[], metavar="CHANNEL_ID")
        parser.add_argument("--dry-run", action="store_true", help="Report only.")

    def handle(self, *args, video: list, channel: list, dry_run: bool, verbosity: int, **opts):
        if not video and not channel:
            raise CommandError("Name at least one --video or --channel.")
        targets = [(video_subject(v), video_truth(v)) for v in video]
        targets += [(channel_subject(c), channel_truth(c)) for c in channel]
        current = tallies_get([subject for subject, _ in targets], consistent=True)
        fixed = 0
        for subject, truth in targets:
            counts: Counts = current[subject]
            for name, value in truth.items():
                off = value - getattr(counts, name)
                if not off:
                    continue
                fixed += 1
                if verbosity:
                    self.stdout.write(f"{subject} {name}: {getattr(counts, name)} -> {value}")
                if not dry_run:
                    tally_set(subject, name, value)
        verb = "would fix" if dry_run else "fixed"
        self.stdout.write(self.style.SUCCESS(f"checked {len(targets)}, {verb} {fixed} count(s)"))
