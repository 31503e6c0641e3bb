"""The DynamoDB layer against a real DynamoDB Local: tables, indexes, ids, conditions,
counters and cursor pagination."""

import contextlib
import io
import re
import secrets
import threading
import time

import pytest
from django.core.management import call_command
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from channels_app.models import Channel, User
from live_app.models import LivestreamSession
from social_app.models import SUBSCRIBER_SHARDS, Comment, Like, Subscription, subscriber_shard
from videoplatform.aws import dynamodb_client
from videoplatform.dynamodb import (
    base_meta,
    condition_failed,
    new_id,
    new_ulid,
    registered_models,
    transaction,
)
from videoplatform.models import Counter, UniqueClaim
from videoplatform.pagination import query_page
from videoplatform.ratelimit import counter_increment, counter_value, window_for
from videos_app.models import FEED, PENDING, Video

# One partition of each sharded listing, which these index tests write to directly.
FEED_PARTITION = f"{FEED}#0"
PENDING_PARTITION = f"{PENDING}#0"


@pytest.fixture
def cleanup():
    """Items (or throwaway tables) a test wrote; removed afterwards so shared
    partitions such as the public feed stay as other tests expect them."""
    items: list[Model] = []
    yield items
    for item in reversed(items):
        with contextlib.suppress(Exception):  # best effort: the data is disposable
            item.delete()


def _save(cleanup, item: Model) -> Model:
    item.save()
    cleanup.append(item)
    return item


def _video(cleanup, **values) -> Video:
    defaults = {
        "video_id": new_id(),
        "channel_id": new_id(),
        "owner_user_id": new_id(),
        "title": "A video",
        "created_at": int(time.time()),
    }
    defaults.update(values)
    return _save(cleanup, Video(**defaults))


def _hash_first(key_schema: list[dict]) -> list[dict]:
    # DynamoDB lists the partition key first; PynamoDB's schema keeps attribute order.
    return sorted(key_schema, key=lambda element: element["KeyType"])


def _ensure_tables(**options) -> str:
    out = io.StringIO()
    call_command("ensure_tables", stdout=out, **options)
    return out.getvalue()


class TestEnsureTables:
    def test_second_run_creates_nothing(self):
        """Running ensure_tables again reports that everything already exists."""
        _ensure_tables()
        second = _ensure_tables()
        assert "all tables, indexes and TTL settings exist" in second
        assert "create table" not in second
        assert "add index" not in second
        assert "enable TTL" not in second

    def test_dry_run_on_complete_schema_reports_nothing(self):
        """A dry run against a complete schema proposes no change."""
        assert "all tables, indexes and TTL settings exist" in _ensure_tables(dry_run=True)

    def test_every_registered_table_has_exactly_the_declared_indexes(self):
        """Each registered model's table exists with the key schema and GSIs the model declares."""
        client = dynamodb_client()
        assert len(registered_models()) >= 11
        for model in registered_models():
            table = client.describe_table(TableName=model.Meta.table_name)["Table"]
            schema = model._get_schema()
            assert table["KeySchema"] == _hash_first(schema["key_schema"]), model.__name__
            declared = {
                index["index_name"]: (
                    _hash_first(index["key_schema"]),
                    index["projection"]["ProjectionType"],
                )
                for index in schema["global_secondary_indexes"]
            }
            actual = {
                index["IndexName"]: (index["KeySchema"], index["Projection"]["ProjectionType"])
                for index in table.get("GlobalSecondaryIndexes", [])
            }
            assert actual == declared, model.__name__

    def test_ttl_enabled_exactly_where_declared(self):
        """TTL is on (on the declared attribute) where the Meta names one, and off elsewhere."""
        client = dynamodb_client()
        with_ttl = 0
        for model in registered_models():
            described = client.describe_time_to_live(TableName=model.Meta.table_name)
            ttl = described["TimeToLiveDescription"]
            attribute = getattr(model.Meta, "ttl_attribute", None)
            if attribute:
                with_ttl += 1
                assert ttl["TimeToLiveStatus"] in {"ENABLED", "ENABLING"}, model.__name__
                assert ttl["AttributeName"] == attribute, model.__name__
            else:
                assert ttl["TimeToLiveStatus"] in {"DISABLED", None}, model.__name__
        # Sessions, counters, processed events and notifications at least.
        assert with_ttl >= 4

    def test_creates_new_table_then_adds_missing_index(self, monkeypatch):
        """On a throwaway table: the command creates it with TTL, later adds a newly declared
        GSI to the existing table, and the new index answers queries."""
        suffix = f"Throwaway{secrets.token_hex(4)}"

        class BareItem(Model):
            Meta = base_meta(suffix, ttl_attribute="expires_at")
            item_id = UnicodeAttribute(hash_key=True)
            group = UnicodeAttribute(null=True)
            expires_at = NumberAttribute(null=True)

        class GroupIndex(GlobalSecondaryIndex):
            class Meta:
                index_name = "group-index"
                projection = AllProjection()

            group = UnicodeAttribute(hash_key=True)
            # Named to sort before the hash key: PynamoDB then lists RANGE first.
            at = NumberAttribute(range_key=True)

        class IndexedItem(Model):
            Meta = base_meta(suffix, ttl_attribute="expires_at")
            item_id = UnicodeAttribute(hash_key=True)
            group = UnicodeAttribute(null=True)
            at = NumberAttribute(null=True)
            expires_at = NumberAttribute(null=True)
            group_index = GroupIndex()

        module = "videoplatform.management.commands.ensure_tables.registered_models"
        client = dynamodb_client()
        try:
            monkeypatch.setattr(module, lambda: [BareItem])
            first = _ensure_tables()
            assert f"create table {BareItem.Meta.table_name}" in first
            assert f"enable TTL on {BareItem.Meta.table_name}.expires_at" in first
            assert "all tables" in _ensure_tables()

            monkeypatch.setattr(module, lambda: [IndexedItem])
            assert "add index" in _ensure_tables(dry_run=True)
            table = client.describe_table(TableName=IndexedItem.Meta.table_name)["Table"]
            assert "GlobalSecondaryIndexes" not in table, "a dry run must change nothing"

            added = _ensure_tables()
            assert f"add index group-index to {IndexedItem.Meta.table_name}" in added
            assert "all tables" in _ensure_tables()

            table = client.describe_table(TableName=IndexedItem.Meta.table_name)["Table"]
            (index,) = table["GlobalSecondaryIndexes"]
            assert index["IndexName"] == "group-index"
            assert index["KeySchema"] == [
                {"AttributeName": "group", "KeyType": "HASH"},
                {"AttributeName": "at", "KeyType": "RANGE"},
            ]
            IndexedItem(item_id="a", group="g1", at=2).save()
            IndexedItem(item_id="b", group="g1", at=1).save()
            IndexedItem(item_id="c", group="g2", at=3).save()
            IndexedItem(item_id="d").save()
            assert [i.item_id for i in IndexedItem.group_index.query("g1")] == ["b", "a"]
        finally:
            if BareItem.exists():
                BareItem.delete_table()


class TestIndexes:
    def test_users_email_index(self, cleanup):
        """Users.email-index finds a user by email, and only that user."""
        email = f"{secrets.token_hex(6)}@example.com"
        user = _save(cleanup, User(new_id(), email=email, display_name="E", created_at=1))
        _save(cleanup, User(new_id(), email=f"x{email}", display_name="F", created_at=1))
        assert [u.user_id for u in User.email_index.query(email)] == [user.user_id]

    def test_channels_owner_index_orders_by_created_at(self, cleanup):
        """Channels.owner-index lists one owner's channels ordered by created_at."""
        owner = new_id()
        for created_at in (300, 100, 200):
            _save(
                cleanup,
                Channel(
                    f"c{created_at}{new_id()}",
                    owner_user_id=owner,
                    handle=new_id(),
                    name=str(created_at),
                    created_at=created_at,
                ),
            )
        _save(
            cleanup,
            Channel(
                new_id(), owner_user_id=new_id(), handle=new_id(), name="other", created_at=150
            ),
        )
        oldest_first = [c.created_at for c in Channel.owner_index.query(owner)]
        newest_first = [
            c.created_at for c in Channel.owner_index.query(owner, scan_index_forward=False)
        ]
        assert oldest_first == [100, 200, 300]
        assert newest_first == [300, 200, 100]

    def test_videos_channel_index_lists_every_video_of_the_channel(self, cleanup):
        """Videos.channel-index lists all of a channel's videos (public or not), newest first."""
        channel_id = new_id()
        private = _video(cleanup, channel_id=channel_id, created_at=10, visibility="private")
        public = _video(
            cleanup,
            channel_id=channel_id,
            created_at=20,
            public_channel_id=channel_id,
            published_at=20,
        )
        _video(cleanup, created_at=15)
        found = Video.channel_index.query(channel_id, scan_index_forward=False)
        assert [v.video_id for v in found] == [public.video_id, private.video_id]

    def test_videos_channel_public_index_is_sparse(self, cleanup):
        """Videos.channel-public-index holds only videos with public_channel_id, newest first."""
        channel_id = new_id()
        older = _video(
            cleanup, channel_id=channel_id, public_channel_id=channel_id, published_at=100
        )
        newer = _video(
            cleanup, channel_id=channel_id, public_channel_id=channel_id, published_at=200
        )
        _video(cleanup, channel_id=channel_id, published_at=300)  # not public: no key attribute
        found = Video.channel_public_index.query(channel_id, scan_index_forward=False)
        assert [v.video_id for v in found] == [newer.video_id, older.video_id]

    def test_public_feed_index_is_sparse_and_newest_first(self, cleanup):
        """Videos.feed-shard-index holds only videos with feed_shard, newest first."""
        # The feed partition is shared by the whole session: stay in a private time
        # range far in the past (so no other test's first page changes) and check only
        # this test's videos.
        base = 1_000 + secrets.randbelow(10_000_000) * 10
        first = _video(cleanup, feed_shard=FEED_PARTITION, published_at=base + 1)
        third = _video(cleanup, feed_shard=FEED_PARTITION, published_at=base + 3)
        second = _video(cleanup, feed_shard=FEED_PARTITION, published_at=base + 2)
        hidden = _video(cleanup, published_at=base + 4)
        condition = Video.published_at.between(base, base + 9)
        found = [
            v.video_id
            for v in Video.feed_shard_index.query(
                FEED_PARTITION, condition, scan_index_forward=False
            )
        ]
        mine = [
            vid
            for vid in found
            if vid in {first.video_id, second.video_id, third.video_id, hidden.video_id}
        ]
        assert mine == [third.video_id, second.video_id, first.video_id]

    def test_pending_index_is_sparse(self, cleanup):
        """Videos.pending-index holds only videos with pending_partition, oldest first, and
        projects what the model declares."""
        base = 1_000 + secrets.randbelow(10_000_000) * 10
        later = _video(
            cleanup,
            pending_partition=PENDING_PARTITION,
            pending_since=base + 3,
            title="queued title",
            status="queued",
        )
        earlier = _video(
            cleanup,
            pending_partition=PENDING_PARTITION,
            pending_since=base + 1,
            title="queued title",
            status="queued",
        )
        settled = _video(cleanup, pending_since=base + 2, status="ready")
        condition = Video.pending_since.between(base, base + 9)
        found = list(Video.pending_index.query(PENDING_PARTITION, condition))
        mine = [
            v for v in found if v.video_id in {later.video_id, earlier.video_id, settled.video_id}
        ]
        assert [v.video_id for v in mine] == [earlier.video_id, later.video_id]
        assert mine[0].pending_since == base + 1
        if Video.pending_index.Meta.projection.projection_type == "KEYS_ONLY":
            assert mine[0].title is None
        else:
            assert mine[0].title == "queued title"
            assert mine[0].status == "queued"

    def test_videos_owner_index(self, cleanup):
        """Videos.owner-index lists a user's videos across channels, newest first."""
        if not hasattr(Video, "owner_index"):
            pytest.skip("Videos declares no owner-index")
        owner = new_id()
        old = _video(cleanup, owner_user_id=owner, created_at=1)
        new = _video(cleanup, owner_user_id=owner, created_at=2)
        _video(cleanup, channel_id=old.channel_id, created_at=3)
        found = Video.owner_index.query(owner, scan_index_forward=False)
        assert [v.video_id for v in found] == [new.video_id, old.video_id]

    def test_likes_user_index(self, cleanup):
        """Likes.user-index lists one user's likes across videos, newest first."""
        user_id = new_id()
        old = _save(cleanup, Like(new_id(), user_id, created_at=1))
        new = _save(cleanup, Like(new_id(), user_id, created_at=2))
        _save(cleanup, Like(old.video_id, new_id(), created_at=3))
        found = Like.user_index.query(user_id, scan_index_forward=False)
        assert [like.video_id for like in found] == [new.video_id, old.video_id]

    def test_subscriptions_channel_shard_index(self, cleanup):
        """Subscriptions.channel-shard-index lists every subscriber of a channel across its
        shards (the fan-out reads one shard at a time), and only that channel's."""
        channel_id = new_id()
        users = sorted(new_id() for _ in range(40))
        for user_id in users:
            _save(
                cleanup,
                Subscription(
                    user_id,
                    channel_id,
                    channel_shard=subscriber_shard(channel_id, user_id),
                    created_at=1,
                ),
            )
        other = new_id()
        _save(
            cleanup,
            Subscription(
                users[0], other, channel_shard=subscriber_shard(other, users[0]), created_at=1
            ),
        )
        shards = [f"{channel_id}#{n}" for n in range(SUBSCRIBER_SHARDS)]
        per_shard = [[s.user_id for s in Subscription.channel_shard_index.query(k)] for k in shards]
        assert sorted(u for found in per_shard for u in found) == users
        assert sum(1 for found in per_shard if found) > 1  # spread, not one partition

    def test_livestream_channel_and_owner_indexes(self, cleanup):
        """LivestreamSessions answers by channel and by owner, newest first."""
        channel_id, owner = new_id(), new_id()

        def live(created_at, **values):
            defaults = {
                "channel_id": channel_id,
                "owner_user_id": owner,
                "title": "Live",
                "created_at": created_at,
            }
            defaults.update(values)
            return _save(cleanup, LivestreamSession(new_id(), **defaults))

        first, second = live(1), live(2)
        elsewhere = live(3, channel_id=new_id())
        live(4, owner_user_id=new_id(), channel_id=new_id())
        by_channel = LivestreamSession.channel_index.query(channel_id, scan_index_forward=False)
        by_owner = LivestreamSession.owner_index.query(owner, scan_index_forward=False)
        assert [s.stream_id for s in by_channel] == [second.stream_id, first.stream_id]
        assert [s.stream_id for s in by_owner] == [
            elsewhere.stream_id,
            second.stream_id,
            first.stream_id,
        ]


class TestNewUlid:
    def test_shape(self):
        """A ULID is 26 characters of Crockford base32."""
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", new_ulid())

    def test_sorts_by_time(self):
        """Ids made at increasing milliseconds sort in that order, whatever the random part."""
        moments = [0, 1, 2, 999, 1_000, 1_700_000_000_000, 1_700_000_000_001, 2**48 - 1]
        ids = [new_ulid(at_ms=ms) for ms in moments for _ in range(5)]
        for earlier, later in zip(moments, moments[1:], strict=False):
            assert max(new_ulid(at_ms=earlier) for _ in range(20)) < min(
                new_ulid(at_ms=later) for _ in range(20)
            )
        assert sorted(ids, key=lambda i: i[:10]) == ids

    def test_default_is_now(self):
        """Without at_ms the id sorts between ids made just before and just after."""
        before = new_ulid(at_ms=int(time.time() * 1000) - 1)
        now = new_ulid()
        after = new_ulid(at_ms=int(time.time() * 1000) + 1)
        assert before[:10] < now[:10] < after[:10]

    def test_unique(self):
        """Ten thousand ids made in a burst are all different."""
        assert len({new_ulid() for _ in range(10_000)}) == 10_000


class TestConditionFailed:
    def test_put_does_not_exist_on_existing_item(self, cleanup):
        """A create-only put on an existing key is recognised as a failed condition."""
        claim = _save(cleanup, UniqueClaim(f"test#{new_id()}", owner_id="a"))
        with pytest.raises(PutError) as caught:
            UniqueClaim(claim.claim_id, owner_id="b").save(
                condition=UniqueClaim.claim_id.does_not_exist()
            )
        assert condition_failed(caught.value)
        assert UniqueClaim.get(claim.claim_id, consistent_read=True).owner_id == "a"

    def test_cancelled_transaction(self, cleanup):
        """A transaction cancelled by one failed condition is recognised, and wrote nothing."""
        taken = _save(cleanup, UniqueClaim(f"test#{new_id()}", owner_id="a"))
        fresh_id = f"test#{new_id()}"
        with pytest.raises(TransactWriteError) as caught, transaction() as tx:
            tx.save(
                UniqueClaim(fresh_id, owner_id="b"), condition=UniqueClaim.claim_id.does_not_exist()
            )
            tx.save(
                UniqueClaim(taken.claim_id, owner_id="b"),
                condition=UniqueClaim.claim_id.does_not_exist(),
            )
        assert condition_failed(caught.value)
        assert UniqueClaim.count(fresh_id, consistent_read=True) == 0

    def test_other_failures_are_not_condition_failures(self):
        """A put rejected for another reason (an invalid key) is not a condition failure."""
        with pytest.raises(PutError) as caught:
            UniqueClaim("", owner_id="a").save(condition=UniqueClaim.claim_id.does_not_exist())
        assert not condition_failed(caught.value)


class TestRateLimitCounters:
    def test_concurrent_increments_are_atomic(self):
        """Thirty threads adding to one window end at 30, each seeing a distinct count."""
        window = window_for(f"test-{new_id()}", window_s=3600)
        counter_value(window)  # open the connection before the threads race
        seen: list[int] = []
        errors: list[BaseException] = []
        barrier = threading.Barrier(30)

        def hit():
            try:
                barrier.wait()
                seen.append(counter_increment(window))
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)

        threads = [threading.Thread(target=hit) for _ in range(30)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors
        assert counter_value(window) == 30
        assert sorted(seen) == list(range(1, 31))

    def test_expired_counter_reads_as_zero(self):
        """A counter whose window ended still exists (TTL is lazy) but reads as zero."""
        window = window_for(f"test-{new_id()}", window_s=60, now=time.time() - 3600)
        assert counter_increment(window) == 1
        assert Counter.get(window.key, consistent_read=True).count == 1
        assert counter_value(window) == 0

    def test_missing_counter_reads_as_zero(self):
        """A window nobody hit yet reads as zero."""
        assert counter_value(window_for(f"test-{new_id()}", window_s=60)) == 0

    def test_window_keys_change_across_windows(self):
        """Instants in one window share a key; the next window gets a new key and expiry."""
        first = window_for("login", window_s=60, now=1_020)
        same = window_for("login", window_s=60, now=1_079.9)
        nxt = window_for("login", window_s=60, now=1_080)
        assert first == same
        assert first.expires_at == 1_080
        assert nxt.key != first.key
        assert nxt.expires_at == 1_140
        assert window_for("signup", window_s=60, now=1_020).key != first.key


class TestPagination:
    @pytest.fixture
    def seven_comments(self, cleanup):
        video_id = new_id()
        ids = [new_ulid(at_ms=1_700_000_000_000 + n) for n in range(7)]
        for comment_id in ids:
            _save(cleanup, Comment(video_id, comment_id, user_id="u", text="t", created_at=1))
        return video_id, ids

    def _all_pages(self, video_id, *, newest_first):
        seen, cursor, requests = [], None, 0
        while True:
            page = query_page(Comment, video_id, limit=3, cursor=cursor, newest_first=newest_first)
            requests += 1
            assert len(page.items) <= 3
            seen.extend(c.comment_id for c in page.items)
            cursor = page.next_cursor
            if cursor is None or requests > 10:
                return seen, requests

    def test_pages_in_order_without_repeats(self, seven_comments):
        """Seven items with limit 3 come in three pages, oldest first, each exactly once."""
        video_id, ids = seven_comments
        seen, requests = self._all_pages(video_id, newest_first=False)
        assert seen == ids
        assert requests == 3

    def test_pages_newest_first(self, seven_comments):
        """Newest-first paging returns the same items in reverse order."""
        video_id, ids = seven_comments
        seen, _ = self._all_pages(video_id, newest_first=True)
        assert seen == list(reversed(ids))

    def test_cursor_is_opaque(self, seven_comments):
        """The cursor does not carry the raw start key in clear text."""
        video_id, ids = seven_comments
        cursor = query_page(Comment, video_id, limit=3, cursor=None, newest_first=False).next_cursor
        assert cursor
        assert ids[2] not in cursor
        assert video_id not in cursor

    @pytest.mark.parametrize(
        "bad_cursor",
        ["garbage", "", "x" * 5000, "eyJhIjoxfQ:1abc:zzz", "flip-signature", "flip-payload"],
    )
    def test_bad_cursor_starts_from_the_beginning(self, seven_comments, bad_cursor):
        """A garbage or tampered cursor gives the first page, not an error."""
        video_id, ids = seven_comments
        if bad_cursor.startswith("flip-"):
            genuine = query_page(Comment, video_id, limit=3, cursor=None, newest_first=False)
            second = query_page(
                Comment, video_id, limit=3, cursor=genuine.next_cursor, newest_first=False
            )
            assert [c.comment_id for c in second.items] == ids[3:6]
            payload, _, signature = genuine.next_cursor.rpartition(":")
            if bad_cursor == "flip-signature":
                signature = ("A" if signature[0] != "A" else "B") + signature[1:]
            else:
                payload = payload[:2] + ("A" if payload[2] != "A" else "B") + payload[3:]
            bad_cursor = f"{payload}:{signature}"
        page = query_page(Comment, video_id, limit=3, cursor=bad_cursor, newest_first=False)
        assert [c.comment_id for c in page.items] == ids[:3]

    def test_cursor_from_another_partition_starts_from_the_beginning(self, cleanup, seven_comments):
        """A genuine cursor of another list (another video's comments) gives this list's first
        page instead of DynamoDB's ValidationException (a 500)."""
        video_id, ids = seven_comments
        other_video = new_id()
        for n in range(4):
            _save(
                cleanup,
                Comment(other_video, new_ulid(at_ms=n), user_id="u", text="t", created_at=1),
            )
        foreign = query_page(Comment, other_video, limit=3, cursor=None, newest_first=False)
        assert foreign.next_cursor
        page = query_page(
            Comment, video_id, limit=3, cursor=foreign.next_cursor, newest_first=False
        )
        assert [c.comment_id for c in page.items] == ids[:3]

    def test_cursor_from_another_index_starts_from_the_beginning(self, cleanup):
        """A genuine public-feed cursor handed to a channel's list gives that list's first page."""
        channel_id = new_id()
        base = 1_000 + secrets.randbelow(10_000_000) * 10
        mine = [
            _video(
                cleanup,
                channel_id=channel_id,
                public_channel_id=channel_id,
                feed_shard=FEED_PARTITION,
                published_at=base + n,
            )
            for n in range(3)
        ]
        feed = query_page(Video.feed_shard_index, FEED_PARTITION, limit=1, cursor=None)
        assert feed.next_cursor
        page = query_page(Video.channel_public_index, channel_id, limit=2, cursor=feed.next_cursor)
        assert [v.video_id for v in page.items] == [mine[2].video_id, mine[1].video_id]

    def test_home_page_ignores_bad_cursor(self, client):
        """The home page answers a garbage ``after`` cursor with its first page."""
        response = client.get("/", {"after": "not-a-cursor"})
        assert response.status_code == 200


def test_dynamodb_local_runs_offline_outside_the_project_tree():
    """DynamoDB Local sends telemetry unless told not to, and writes its installation
    id into its working directory: the server the stack starts does neither."""
    from pathlib import Path

    from videoplatform.local_servers import BASE_DIR
    from videoplatform.testing.servers import stack_server

    pid = stack_server("dynamodb").process.pid
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    assert b"DDB_LOCAL_TELEMETRY=0" in environ
    cwd = Path(f"/proc/{pid}/cwd").resolve()
    assert cwd != BASE_DIR.resolve()
    assert not (cwd / "dynamodb-local-metadata.json").exists()
