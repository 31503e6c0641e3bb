"""migrate_data rewrites items left in the old key design into the new one, once.

The old items are written raw (their attributes are no longer on the models). The
command Scans whole tables, so every other test's items are in its way too: the tests
assert on their own items and, for the report, on lower bounds.
"""

import contextlib
import io
import re
import time
from types import SimpleNamespace

import pytest
from django.core.management import call_command

from channels_app.models import Channel
from channels_app.selectors import channel_counts
from live_app.models import LivestreamSession, live_shard_of
from social_app.fanout import job_id_for
from social_app.management.commands import migrate_data
from social_app.models import (
    QUEUE,
    QUEUE_SHARDS,
    SUBSCRIBER_SHARDS,
    AuditEntry,
    FanoutTask,
    Like,
    ReportTarget,
    Subscription,
    audit_partition,
    subscriber_shard,
)
from videoplatform.aws import dynamodb_client
from videoplatform.dynamodb import new_id, new_ulid, now_s, sharded_key
from videoplatform.models import Tally
from videoplatform.tallies import Counts, channel_subject, shard_ids, video_subject
from videos_app.models import Video, feed_shard_of, pending_shard_of
from videos_app.selectors import video_counts

OLD_VIDEO_ATTRIBUTES = {
    "feed_partition",
    "fanout_partition",
    "fanout_since",
    "view_count",
    "like_count",
    "comment_count",
}


def S(value: str) -> dict:
    return {"S": value}


def N(value: int) -> dict:
    return {"N": str(value)}


def migrate(*args: str) -> str:
    out = io.StringIO()
    call_command("migrate_data", *args, stdout=out)
    return out.getvalue()


def reported(output: str, label: str) -> int:
    """The count on the report line that ends with ``label``."""
    match = re.search(rf"^\s*(\d+) {re.escape(label)}$", output, re.MULTILINE)
    assert match, f"no line for {label!r} in:\n{output}"
    return int(match.group(1))


def raw(model, key: dict) -> dict | None:
    response = dynamodb_client().get_item(
        TableName=model.Meta.table_name, Key=key, ConsistentRead=True
    )
    return response.get("Item")


def old_video(channel_id: str, owner_id: str, **extra) -> dict:
    video_id = new_id()
    item = {
        "video_id": S(video_id),
        "channel_id": S(channel_id),
        "owner_user_id": S(owner_id),
        "title": S("An old video"),
        "visibility": S("public"),
        "created_at": N(now_s()),
        # Every video had the old counters (they defaulted to 0).
        "view_count": N(0),
        "like_count": N(0),
        "comment_count": N(0),
    }
    return item | extra


@pytest.fixture
def old_world():
    """One of each kind of old-shaped item, removed afterwards with everything the
    migration made from them (tallies, fan-out tasks, moved audit entries), so the
    shared feed, queue and live index stay as other tests expect them."""
    client = dynamodb_client()
    now = now_s()
    owner_id, channel_id, moderator_id = new_id(), new_id(), new_id()
    listed = old_video(
        channel_id,
        owner_id,
        status=S("ready"),
        published_at=N(now),
        public_channel_id=S(channel_id),
        feed_partition=S("public"),
        fanout_partition=S("fanout"),
        fanout_since=N(now),
        view_count=N(7),
        like_count=N(4),  # drifted: two Like items below are the truth
        comment_count=N(3),
    )
    pending = old_video(
        channel_id,
        owner_id,
        status=S("processing"),
        pending_partition=S("pending"),
        pending_since=N(now),
    )
    uploading = old_video(
        channel_id,
        owner_id,
        status=S("uploading"),
        pending_partition=S("uploading"),
        pending_since=N(now),
    )
    channel = {
        "channel_id": S(channel_id),
        "owner_user_id": S(owner_id),
        "handle": S(f"old{channel_id.lower()}"),
        "name": S("Old Channel"),
        "created_at": N(now),
        # Drifted on purpose: the migration counts the items instead.
        "subscriber_count": N(5),
        "video_count": N(9),
    }
    subscribers = [new_id() for _ in range(3)]
    subscriptions = [
        {
            "user_id": S(user_id),
            "channel_id": S(channel_id),
            "notify": S("all"),
            "created_at": N(now),
        }
        for user_id in subscribers
    ]
    session = {
        "stream_id": S(new_id()),
        "channel_id": S(channel_id),
        "owner_user_id": S(owner_id),
        "title": S("An old stream"),
        "status": S("live"),
        "created_at": N(now),
        "live_partition": S("live"),
        "live_since": N(now),
    }
    target = {
        "target_key": S(f"video#{listed['video_id']['S']}"),
        "target_type": S("video"),
        "owner_user_id": S(owner_id),
        "open_count": N(1),
        "status": S("open"),
        "queue_partition": S("open"),
        "priority": N(1),
        "last_reported_at": N(now),
    }
    audit = {
        "log_partition": S("audit"),
        "entry_id": S(new_ulid()),
        "moderator_id": S(moderator_id),
        "action": S("remove_video"),
        "target_key": target["target_key"],
        "reason": S("spam"),
        "created_at": N(now),
    }
    puts = [(Video, item) for item in (listed, pending, uploading)]
    puts += [(Channel, channel), (LivestreamSession, session), (ReportTarget, target)]
    puts += [(Subscription, item) for item in subscriptions] + [(AuditEntry, audit)]
    for model, item in puts:
        client.put_item(TableName=model.Meta.table_name, Item=item)
    likers = [new_id(), new_id()]
    for user_id in likers:
        Like(listed["video_id"]["S"], user_id, created_at=now).save()

    world = SimpleNamespace(
        listed=listed["video_id"]["S"],
        pending=pending["video_id"]["S"],
        uploading=uploading["video_id"]["S"],
        channel_id=channel_id,
        subscribers=subscribers,
        stream_id=session["stream_id"]["S"],
        target_key=target["target_key"]["S"],
        audit=audit,
    )
    world.keys = [
        (Video, {"video_id": S(world.listed)}),
        (Video, {"video_id": S(world.pending)}),
        (Video, {"video_id": S(world.uploading)}),
        (Channel, {"channel_id": S(channel_id)}),
        (LivestreamSession, {"stream_id": S(world.stream_id)}),
        (ReportTarget, {"target_key": S(world.target_key)}),
        (AuditEntry, {"log_partition": S("audit"), "entry_id": audit["entry_id"]}),
    ] + [(Subscription, {"user_id": S(u), "channel_id": S(channel_id)}) for u in subscribers]
    yield world

    moved_audit = audit_partition(now, moderator_id)
    leftovers = world.keys + [
        (Like, {"video_id": S(world.listed), "user_id": S(u)}) for u in likers
    ]
    leftovers.append((AuditEntry, {"log_partition": S(moved_audit), "entry_id": audit["entry_id"]}))
    subjects = [video_subject(world.listed), channel_subject(channel_id)]
    leftovers += [(Tally, {"tally_id": S(t)}) for s in subjects for t in shard_ids(s)]
    job_id = job_id_for(kind="video", subject_id=world.listed)
    leftovers += [
        (FanoutTask, {"job_id": S(job_id), "shard": N(n)}) for n in range(SUBSCRIBER_SHARDS)
    ]
    for model, key in leftovers:
        with contextlib.suppress(Exception):  # best effort: the data is disposable
            client.delete_item(TableName=model.Meta.table_name, Key=key)


def snapshot(world) -> list:
    """Every raw item of the world as it stands, and the counts the world has."""
    items = [raw(model, key) for model, key in world.keys]
    counts = [
        video_counts(world.listed, consistent=True),
        channel_counts(world.channel_id, consistent=True),
    ]
    return items + counts


@pytest.fixture
def old_index():
    """The Videos table carrying the old fan-out index, as an old database does; dropped
    afterwards if the test did not drop it."""
    client = dynamodb_client()
    table = Video.Meta.table_name
    client.update_table(
        TableName=table,
        AttributeDefinitions=[
            {"AttributeName": "fanout_partition", "AttributeType": "S"},
            {"AttributeName": "fanout_since", "AttributeType": "N"},
        ],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "fanout-index",
                    "KeySchema": [
                        {"AttributeName": "fanout_partition", "KeyType": "HASH"},
                        {"AttributeName": "fanout_since", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            }
        ],
    )
    wait_for_indexes(table)
    yield table
    if "fanout-index" in index_names(table):
        client.update_table(
            TableName=table, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "fanout-index"}}]
        )
        wait_for_indexes(table)


def index_names(table: str) -> set[str]:
    described = dynamodb_client().describe_table(TableName=table)["Table"]
    return {gsi["IndexName"] for gsi in described.get("GlobalSecondaryIndexes", [])}


def wait_for_indexes(table: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        described = dynamodb_client().describe_table(TableName=table)["Table"]
        indexes = described.get("GlobalSecondaryIndexes", [])
        if described["TableStatus"] == "ACTIVE" and all(
            gsi.get("IndexStatus") == "ACTIVE" for gsi in indexes
        ):
            return
        time.sleep(0.2)
    raise AssertionError(f"{table} did not settle")


class TestMigrateData:
    def test_dry_run_reports_and_writes_nothing(self, old_world):
        """--dry-run counts every kind of old item it would rewrite, and leaves the items,
        the tallies and the fan-out jobs exactly as they were."""
        before = snapshot(old_world)

        output = migrate("--dry-run", "--keep-old-indexes")

        assert reported(output, "subscriptions given a channel shard") >= 3
        assert reported(output, "videos moved to the sharded feed") >= 1
        assert reported(output, "videos moved to the sharded pending index") >= 2
        assert reported(output, "videos whose pending fan-out was re-announced") >= 1
        assert reported(output, "videos whose counts moved to the Tallies table") >= 3
        assert reported(output, "channels whose counts moved to the Tallies table") >= 1
        assert reported(output, "live sessions moved to the sharded live index") >= 1
        assert reported(output, "report targets moved to the sharded moderation queue") >= 1
        assert reported(output, "audit entries moved to month shards") >= 1
        assert "would make" in output
        assert snapshot(old_world) == before
        assert video_counts(old_world.listed, consistent=True) == Counts()
        job_id = job_id_for(kind="video", subject_id=old_world.listed)
        assert FanoutTask.count(job_id, consistent_read=True) == 0

    def test_old_items_take_the_new_shape(self, old_world):
        """One run shards every old partition, moves counts to the Tallies table (likes
        and a channel's counts re-derived from their items), re-announces the pending
        fan-out and drops every old attribute."""
        output = migrate("--keep-old-indexes")
        assert "migrated:" in output

        listed = Video.get(old_world.listed, consistent_read=True)
        assert listed.feed_shard == feed_shard_of(old_world.listed)
        assert OLD_VIDEO_ATTRIBUTES.isdisjoint(raw(Video, {"video_id": S(old_world.listed)}))
        # Views and comments copied; likes counted from the two Like items, not the old 4.
        assert video_counts(old_world.listed, consistent=True) == Counts(
            views=7, likes=2, comments=3
        )
        job_id = job_id_for(kind="video", subject_id=old_world.listed)
        assert FanoutTask.count(job_id, consistent_read=True) == SUBSCRIBER_SHARDS

        for video_id, name in ((old_world.pending, "pending"), (old_world.uploading, "uploading")):
            video = Video.get(video_id, consistent_read=True)
            assert video.pending_partition == pending_shard_of(name, video_id)
            assert OLD_VIDEO_ATTRIBUTES.isdisjoint(raw(Video, {"video_id": S(video_id)}))
            assert video_counts(video_id, consistent=True) == Counts()

        for user_id in old_world.subscribers:
            subscription = Subscription.get(user_id, old_world.channel_id, consistent_read=True)
            assert subscription.channel_shard == subscriber_shard(old_world.channel_id, user_id)
        counts = channel_counts(old_world.channel_id, consistent=True)
        assert (counts.subscribers, counts.videos) == (3, 1)  # not the stored 5 and 9
        channel_item = raw(Channel, {"channel_id": S(old_world.channel_id)})
        assert {"subscriber_count", "video_count"}.isdisjoint(channel_item)

        session = LivestreamSession.get(old_world.stream_id, consistent_read=True)
        assert session.live_partition == live_shard_of("live", old_world.stream_id)
        target = ReportTarget.get(old_world.target_key, consistent_read=True)
        assert target.queue_partition == sharded_key(QUEUE, old_world.target_key, QUEUE_SHARDS)

        audit = old_world.audit
        partition = audit_partition(int(audit["created_at"]["N"]), audit["moderator_id"]["S"])
        moved = AuditEntry.get(partition, audit["entry_id"]["S"], consistent_read=True)
        assert (moved.action, moved.reason) == ("remove_video", "spam")
        assert raw(AuditEntry, {"log_partition": S("audit"), "entry_id": audit["entry_id"]}) is None

    def test_a_second_run_changes_nothing(self, old_world):
        """Run again, the command finds nothing of the old shape left: it reports no
        changes and leaves the items and counts the first run made untouched."""
        migrate("--keep-old-indexes")
        after_first = snapshot(old_world)

        output = migrate("--keep-old-indexes")

        assert "nothing to migrate: 0 changes" in output
        assert snapshot(old_world) == after_first
        assert video_counts(old_world.listed, consistent=True) == Counts(
            views=7, likes=2, comments=3
        )

    def test_obsolete_indexes_are_listed_then_dropped(self, old_index):
        """An old index still on a table is listed by --dry-run (and kept), left by
        --keep-old-indexes, and deleted by a real run, which waits for the table."""
        assert "would delete obsolete index fanout-index on " + old_index in migrate("--dry-run")
        assert "fanout-index" in index_names(old_index)

        kept = migrate("--keep-old-indexes")
        assert "keep obsolete index fanout-index" in kept
        assert "fanout-index" in index_names(old_index)

        output = migrate()
        assert reported(output, "obsolete indexes deleted") == 1
        assert "fanout-index" not in index_names(old_index)
        assert "feed-shard-index" in index_names(old_index)

    def test_an_item_changed_since_the_scan_is_left_alone(self, old_world, monkeypatch):
        """A live session that ended (left the live index) between the Scan and its
        update is not put back in the index: every update is conditional on the old
        value it replaces, and the run reports the item as changed meanwhile."""
        original_scan = migrate_data.Command.scan

        def scan_then_end_the_stream(command, model, *args):
            for item in original_scan(command, model, *args):
                if item.get("stream_id") == S(old_world.stream_id):
                    dynamodb_client().update_item(
                        TableName=LivestreamSession.Meta.table_name,
                        Key={"stream_id": S(old_world.stream_id)},
                        UpdateExpression="SET #status = :ended REMOVE live_partition, live_since",
                        ExpressionAttributeNames={"#status": "status"},
                        ExpressionAttributeValues={":ended": S("ended")},
                    )
                yield item

        monkeypatch.setattr(migrate_data.Command, "scan", scan_then_end_the_stream)

        output = migrate("--keep-old-indexes")

        assert reported(output, "items changed meanwhile: run again") >= 1
        session = LivestreamSession.get(old_world.stream_id, consistent_read=True)
        assert (session.status, session.live_partition) == ("ended", None)
