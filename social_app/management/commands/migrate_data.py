"""Bring items written under the old key design to the new one.

The old design kept site-wide listings under one partition each (``public``,
``pending``, ``live``, ``open``, ``audit``), counts on the video and channel items, and
a video's pending fan-out as a flag on the video. The new one shards those partitions,
keeps counts in the Tallies table and runs fan-outs as FanoutTasks. This command
rewrites what an existing database still holds in the old shape, then drops the
indexes nothing reads any more.

It Scans every table it touches: a one-off maintenance command run by hand against a
database, never a request path, so reading everything once is the point. The old
attributes are no longer declared on the models, so it works on raw items through the
low-level client.

Every write is conditional on the old value it replaces still being there, so a second
run finds nothing left to change, and an item the app changed since the Scan is skipped
(and reported) rather than overwritten; a run that dies part-way is finished by the
next. Counts are set with ``tally_set`` before the old attributes go, so a crash in
between only sets them again. Run one at a time, though: ``tally_set`` reads and then
adds, so two runs on one item at the same instant could both add (``reconcile_counts``
re-derives every count but views). ``--dry-run`` reports the same counts and writes
nothing (not even the tables ``ensure_tables`` would create).
"""

import contextlib
import io
import time
from collections import Counter

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from channels_app.models import Channel
from live_app.models import AWAITING_REPLAY, LIVE_NOW, LivestreamSession, live_shard_of
from social_app.fanout import fanout_enqueue_video_published
from social_app.models import (
    QUEUE,
    QUEUE_SHARDS,
    SUBSCRIBER_SHARDS,
    AuditEntry,
    Like,
    Notification,
    ReportTarget,
    Subscription,
    audit_partition,
    subscriber_shard,
)
from videoplatform.aws import dynamodb_client
from videoplatform.dynamodb import sharded_key
from videoplatform.tallies import channel_subject, tally_set, video_subject
from videos_app.models import PENDING, UPLOADING, Video, feed_shard_of, pending_shard_of
from videos_app.selectors import video_get

# What each line of the report counts, in the order the steps run.
KINDS = {
    "subscriptions": "subscriptions given a channel shard",
    "feed": "videos moved to the sharded feed",
    "pending": "videos moved to the sharded pending index",
    "fanout": "videos whose pending fan-out was re-announced",
    "video_counts": "videos whose counts moved to the Tallies table",
    "channel_counts": "channels whose counts moved to the Tallies table",
    "live": "live sessions moved to the sharded live index",
    "queue": "report targets moved to the sharded moderation queue",
    "audit": "audit entries moved to month shards",
    "unread": "unread notifications added to the unread index",
    "indexes": "obsolete indexes deleted",
}
VIDEO_COUNTERS = {"view_count": "views", "like_count": "likes", "comment_count": "comments"}
# Named rather than inferred from the models: an index this checkout does not declare
# may belong to a newer branch, and is not this command's to drop.
OBSOLETE_INDEXES = {
    Video: ("public-feed-index", "fanout-index"),
    Subscription: ("channel-index",),
}
INDEX_WAIT_S = 1800


def key_of(model, item: dict) -> dict:
    """The raw key of a raw item (hash key first)."""
    names = [model._hash_key_attribute().attr_name]
    if model._range_key_attribute() is not None:
        names.append(model._range_key_attribute().attr_name)
    return {name: item[name] for name in names}


def queue_shard_of(old: str, target_key: str) -> str:
    return sharded_key(old, target_key, QUEUE_SHARDS)


class Command(BaseCommand):
    help = "Rewrite items from the old key design into the new one (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Report, write nothing.")
        parser.add_argument(
            "--keep-old-indexes",
            action="store_true",
            help="Move the data but leave the obsolete indexes in place.",
        )

    def handle(self, *args, dry_run: bool, keep_old_indexes: bool, verbosity: int = 1, **opts):
        self.client = dynamodb_client()
        self.dry_run = dry_run
        self.verbosity = verbosity
        self.changes = Counter()
        self.skipped = 0
        # The new indexes and the Tallies table must exist before anything is moved.
        out = self.stdout if verbosity > 1 else io.StringIO()
        call_command("ensure_tables", dry_run=dry_run, verbosity=verbosity, stdout=out)

        # Subscriptions first: the channels' subscriber counts are read from their shards.
        self.migrate_subscriptions()
        self.migrate_videos()
        self.migrate_channels()
        self.move_partition(LivestreamSession, "live", {LIVE_NOW, AWAITING_REPLAY}, live_shard_of)
        self.move_partition(ReportTarget, "queue", {QUEUE}, queue_shard_of)
        self.migrate_audit_log()
        self.migrate_unread_notifications()
        kept = self.drop_obsolete_indexes(keep=keep_old_indexes)

        if verbosity:
            for kind, label in KINDS.items():
                self.stdout.write(f"{self.changes[kind]:6d} {label}")
            if kept:
                self.stdout.write(f"{kept:6d} obsolete indexes kept (--keep-old-indexes)")
            if self.skipped:
                self.stdout.write(f"{self.skipped:6d} items changed meanwhile: run again")
        total = sum(self.changes.values())
        if not total:
            self.stdout.write(self.style.SUCCESS("nothing to migrate: 0 changes"))
        elif dry_run:
            self.stdout.write(self.style.SUCCESS(f"would make {total} change(s) (dry run)"))
        else:
            self.stdout.write(self.style.SUCCESS(f"migrated: {total} change(s)"))

    # --- Plumbing -----------------------------------------------------------------------

    def scan(self, model, filter_expression: str, values: dict | None = None):
        kwargs = {"TableName": model.Meta.table_name, "FilterExpression": filter_expression}
        if values:
            kwargs["ExpressionAttributeValues"] = values
        for page in self.client.get_paginator("scan").paginate(**kwargs):
            yield from page["Items"]

    def update(self, model, item: dict, *, sets: dict, removes=()) -> bool:
        """SET and REMOVE attributes, on condition that every attribute replaced still
        holds the value read and every one added is still absent: a concurrent writer or
        an earlier run is never undone. False (counted as skipped) when that no longer
        holds; True under --dry-run."""
        touched = [name for name in [*sets, *removes] if name in item]
        if self.dry_run or not (sets or removes):
            return True
        values = {f":new_{name}": value for name, value in sets.items()}
        values |= {f":old_{name}": item[name] for name in touched}
        expression = []
        if sets:
            expression.append("SET " + ", ".join(f"{n} = :new_{n}" for n in sets))
        if removes:
            expression.append("REMOVE " + ", ".join(removes))
        key = key_of(model, item)
        # The key must exist too: an item deleted since the Scan is not brought back.
        conditions = [f"attribute_exists({next(iter(key))})"]
        conditions += [f"{name} = :old_{name}" for name in touched]
        conditions += [f"attribute_not_exists({name})" for name in sets if name not in item]
        try:
            self.client.update_item(
                TableName=model.Meta.table_name,
                Key=key,
                UpdateExpression=" ".join(expression),
                ConditionExpression=" AND ".join(conditions),
                ExpressionAttributeValues=values,
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            self.skipped += 1
            return False
        return True

    def note(self, kind: str, text: str) -> None:
        self.changes[kind] += 1
        if self.verbosity > 1:
            self.stdout.write(f"{'would ' if self.dry_run else ''}{text}")

    # --- Steps --------------------------------------------------------------------------

    def migrate_subscriptions(self) -> None:
        for item in self.scan(Subscription, "attribute_not_exists(channel_shard)"):
            user_id, channel_id = item["user_id"]["S"], item["channel_id"]["S"]
            shard = {"S": subscriber_shard(channel_id, user_id)}
            if self.update(Subscription, item, sets={"channel_shard": shard}):
                self.note("subscriptions", f"shard subscription {user_id} -> {channel_id}")

    def migrate_videos(self) -> None:
        old = [*VIDEO_COUNTERS, "feed_partition", "fanout_partition", "fanout_since"]
        found = " OR ".join(f"attribute_exists({name})" for name in old)
        found += " OR pending_partition IN (:pending, :uploading)"
        values = {":pending": {"S": PENDING}, ":uploading": {"S": UPLOADING}}
        for item in self.scan(Video, found, values):
            video_id = item["video_id"]["S"]
            sets, removes, kinds = {}, [], []
            if "feed_partition" in item:
                sets["feed_shard"] = {"S": feed_shard_of(video_id)}
                removes.append("feed_partition")
                kinds.append("feed")
            pending = item.get("pending_partition", {}).get("S")
            if pending in {PENDING, UPLOADING}:
                sets["pending_partition"] = {"S": pending_shard_of(pending, video_id)}
                kinds.append("pending")
            if "fanout_partition" in item:
                # Announced before the old flag goes: enqueueing twice is a no-op, while
                # a flag removed first and a crash would silence the video for good.
                if not self.dry_run:
                    self.reannounce(video_id)
                kinds.append("fanout")
            removes += [name for name in ("fanout_partition", "fanout_since") if name in item]
            counters = [name for name in VIDEO_COUNTERS if name in item]
            if counters:
                if not self.dry_run:
                    self.set_video_tallies(video_id, item, counters)
                removes += counters
                kinds.append("video_counts")
            if self.update(Video, item, sets=sets, removes=removes):
                for kind in kinds:
                    self.note(kind, f"video {video_id}: {KINDS[kind]}")

    def reannounce(self, video_id: str) -> None:
        video = video_get(video_id, consistent=True)
        # The fan-out reads the video again for every page and stops at once when it is
        # no longer ready and public, so it need not be judged here. A job that exists
        # already, or a channel that is gone, makes this a no-op: nobody is missed.
        if video is not None:
            fanout_enqueue_video_published(video=video)

    def set_video_tallies(self, video_id: str, item: dict, counters: list[str]) -> None:
        subject = video_subject(video_id)
        for name in counters:
            if name == "like_count":
                # Re-derived: the Like items are the truth, the old count may have drifted.
                tally_set(subject, "likes", Like.count(video_id, consistent_read=True))
            else:
                tally_set(subject, VIDEO_COUNTERS[name], int(item[name]["N"]))

    def migrate_channels(self) -> None:
        found = "attribute_exists(subscriber_count) OR attribute_exists(video_count)"
        for item in self.scan(Channel, found):
            channel_id = item["channel_id"]["S"]
            if not self.dry_run:
                # Both re-derived from the items they count, not copied from the old
                # attributes (which drifted whenever a process died between two writes).
                # An index cannot be read consistently: on AWS it may lag the shards just
                # written by a moment, which ``reconcile_counts --channel`` puts right.
                subject = channel_subject(channel_id)
                subscribers = sum(
                    Subscription.channel_shard_index.count(f"{channel_id}#{n}")
                    for n in range(SUBSCRIBER_SHARDS)
                )
                tally_set(subject, "subscribers", subscribers)
                tally_set(subject, "videos", Video.channel_public_index.count(channel_id))
            removes = [name for name in ("subscriber_count", "video_count") if name in item]
            if self.update(Channel, item, sets={}, removes=removes):
                self.note("channel_counts", f"tallies for channel {channel_id}")

    def move_partition(self, model, kind: str, old_values: set, shard_of) -> None:
        """Rewrite the ``<kind>_partition`` of the items under one of ``old_values``
        (the old single partitions) to ``shard_of(old_value, hash_key)``."""
        attribute = f"{kind}_partition"
        values = {f":v{n}": {"S": value} for n, value in enumerate(sorted(old_values))}
        for item in self.scan(model, f"{attribute} IN ({', '.join(values)})", values):
            hash_key = next(iter(key_of(model, item).values()))["S"]
            sharded = shard_of(item[attribute]["S"], hash_key)
            if self.update(model, item, sets={attribute: {"S": sharded}}):
                self.note(kind, f"{model.Meta.table_name} {hash_key} -> {sharded}")

    def migrate_unread_notifications(self) -> None:
        # "read" is a reserved word in expressions: checked here instead.
        for item in self.scan(Notification, "attribute_not_exists(unread_user_id)"):
            if item.get("read") != {"BOOL": False}:
                continue
            user_id = item["user_id"]["S"]
            if self.update(Notification, item, sets={"unread_user_id": {"S": user_id}}):
                self.note("unread", f"index unread notification of {user_id}")

    def migrate_audit_log(self) -> None:
        table = AuditEntry.Meta.table_name
        for item in self.scan(AuditEntry, "log_partition = :old", {":old": {"S": "audit"}}):
            partition = audit_partition(int(item["created_at"]["N"]), item["moderator_id"]["S"])
            if not self.dry_run:
                # The key moves, so this is a new item; a run that died after the put
                # finds it already there and only deletes the old one.
                with contextlib.suppress(self.client.exceptions.ConditionalCheckFailedException):
                    self.client.put_item(
                        TableName=table,
                        Item={**item, "log_partition": {"S": partition}},
                        ConditionExpression="attribute_not_exists(log_partition)",
                    )
                self.client.delete_item(TableName=table, Key=key_of(AuditEntry, item))
            self.note("audit", f"audit entry {item['entry_id']['S']} -> {partition}")

    # --- Indexes ------------------------------------------------------------------------

    def obsolete_indexes(self) -> list[tuple[str, str]]:
        """(table, index) pairs for the obsolete indexes that still exist."""
        found = []
        for model, names in OBSOLETE_INDEXES.items():
            table = model.Meta.table_name
            described = self.client.describe_table(TableName=table)["Table"]
            existing = {gsi["IndexName"] for gsi in described.get("GlobalSecondaryIndexes", [])}
            found += [(table, name) for name in names if name in existing]
        return found

    def drop_obsolete_indexes(self, *, keep: bool) -> int:
        """Delete the obsolete indexes (after the data moved). Returns how many were kept."""
        found = self.obsolete_indexes()
        for table, index in found:
            if keep:
                if self.verbosity:
                    self.stdout.write(f"keep obsolete index {index} on {table}")
                continue
            if self.verbosity:
                verb = "would delete" if self.dry_run else "delete"
                self.stdout.write(f"{verb} obsolete index {index} on {table}")
            if not self.dry_run:
                # One index update at a time per table: wait before, and after, each.
                self.wait_until_active(table, gone=None)
                self.client.update_table(
                    TableName=table, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": index}}]
                )
                self.wait_until_active(table, gone=index)
            self.changes["indexes"] += 1
        return len(found) if keep else 0

    def wait_until_active(self, table: str, *, gone: str | None) -> None:
        deadline = time.monotonic() + INDEX_WAIT_S
        while time.monotonic() < deadline:
            described = self.client.describe_table(TableName=table)["Table"]
            indexes = described.get("GlobalSecondaryIndexes", [])
            settled = all(gsi.get("IndexStatus") == "ACTIVE" for gsi in indexes)
            still_there = any(gsi["IndexName"] == gone for gsi in indexes)
            if described["TableStatus"] == "ACTIVE" and settled and not still_there:
                return
            time.sleep(0.2)
        raise CommandError(f"table {table} did not become ACTIVE")
