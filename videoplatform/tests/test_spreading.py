"""Writes that spread: sharded listings read back as one ordered list, hot writes
retried with backoff and answered "busy" instead of failing, counts kept apart from
indexed items, and the audit log readable newest first across months."""

import secrets
import time

import pytest
from pynamodb.exceptions import PutError, UpdateError

from conftest import make_user, sign_in
from social_app import services
from social_app.models import AuditEntry, Like
from social_app.selectors import audit_log
from social_app.tests.factories import make_ready_video
from videoplatform import dynamodb
from videoplatform.dynamodb import all_shards, contended, new_id, new_ulid, retry_contended
from videoplatform.errors import Busy
from videoplatform.models import Counter, Tally
from videoplatform.pagination import encode_cursor, merged_page
from videoplatform.testing.requests import count_dynamodb_requests, dynamodb_writes
from videos_app.models import Video
from videos_app.search.models import SearchPending
from videos_app.selectors import video_counts, video_get


def hot(code: str) -> UpdateError:
    """The error PynamoDB raises when DynamoDB answers ``code``."""
    error = UpdateError("refused")
    error.cause = type("Cause", (), {"response": {"Error": {"Code": code}}})()
    return error


@pytest.fixture
def saved():
    items = []
    yield items
    for item in items:
        item.delete()


def save_video(saved, **values) -> Video:
    video = Video(new_id(), channel_id="c", owner_user_id="o", title="t", created_at=0, **values)
    video.save()
    saved.append(video)
    return video


class TestMergedPage:
    def test_pages_through_every_partition_in_order(self, saved):
        """25 items over 3 partitions, read 7 at a time: every item exactly once, newest
        first across partitions, ties included, and the last page has no cursor."""
        base = f"t{secrets.token_hex(4)}"
        partitions = all_shards(base, 3)
        times = [1000 + n // 2 for n in range(25)]  # pairs share a time: ties
        videos = [
            save_video(saved, feed_shard=partitions[n % 3], published_at=times[n])
            for n in range(25)
        ]
        seen, cursor, pages = [], None, 0
        while True:
            with count_dynamodb_requests() as calls:
                page = merged_page(
                    Video.feed_shard_index,
                    partitions,
                    sort_attribute="published_at",
                    limit=7,
                    cursor=cursor,
                )
            assert len(calls) <= 3  # one Query a partition, whatever the data
            seen += page.items
            pages += 1
            cursor = page.next_cursor
            if not cursor:
                break
        assert pages == 4
        assert sorted(v.video_id for v in seen) == sorted(v.video_id for v in videos)
        stamps = [v.published_at for v in seen]
        assert stamps == sorted(stamps, reverse=True)

    def test_cursor_for_other_partitions_starts_over(self, saved):
        """A cursor made for one listing, or a forged one, gives the first page."""
        base = f"t{secrets.token_hex(4)}"
        partitions = all_shards(base, 2)
        for n in range(3):
            save_video(saved, feed_shard=partitions[n % 2], published_at=2000 + n)
        first = merged_page(
            Video.feed_shard_index, partitions, sort_attribute="published_at", limit=2, cursor=None
        )
        forged = encode_cursor({partitions[0]: "done", partitions[1]: "done"}, scope="other")
        again = merged_page(
            Video.feed_shard_index,
            partitions,
            sort_attribute="published_at",
            limit=2,
            cursor=forged,
        )
        assert [v.video_id for v in again.items] == [v.video_id for v in first.items]


class TestHotWrites:
    def test_contended_codes(self):
        """Throttling and transaction conflicts are hot-item refusals; a failed condition
        or a validation error is not."""
        assert contended(hot("ThrottlingException"))
        assert contended(hot("TransactionConflictException"))
        assert contended(hot("ProvisionedThroughputExceededException"))
        assert not contended(hot("ConditionalCheckFailedException"))
        assert not contended(hot("ValidationException"))

    def test_retried_until_it_passes(self, monkeypatch):
        """A write throttled twice is tried again, after a growing pause, and succeeds."""
        monkeypatch.setattr(dynamodb.time, "sleep", lambda s: pauses.append(s))
        pauses, tries = [], []

        def write():
            tries.append(1)
            if len(tries) < 3:
                raise hot("ThrottlingException")
            return "written"

        assert retry_contended(write) == "written"
        assert len(tries) == 3 and len(pauses) == 2

    def test_still_hot_is_busy_not_a_crash(self, monkeypatch):
        """A write that stays contended ends as Busy (a 503 with a message); any other
        error is raised at once, untried."""
        monkeypatch.setattr(dynamodb.time, "sleep", lambda s: None)
        with pytest.raises(Busy, match="try again"):
            retry_contended(lambda: (_ for _ in ()).throw(hot("TransactionConflictException")))
        tries = []

        def wrong():
            tries.append(1)
            raise PutError("bad")

        with pytest.raises(PutError):
            retry_contended(wrong)
        assert tries == [1]

    def test_busy_like_answers_503_and_changes_nothing(self, client, monkeypatch):
        """When the like's item stays hot the person gets a clear 503 message, and no
        like and no count were written."""
        video = make_ready_video()
        fan = make_user()
        sign_in(client, fan)
        monkeypatch.setattr(dynamodb.time, "sleep", lambda s: None)
        monkeypatch.setattr(
            "videoplatform.dynamodb.retry_contended",
            lambda write: retry_contended(
                lambda: (_ for _ in ()).throw(hot("ThrottlingException"))
            ),
        )
        response = client.post(
            f"/watch/{video.video_id}/like/", {"liked": "1"}, HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 503
        assert b"very popular" in response.content
        assert video_counts(video.video_id, consistent=True).likes == 0
        assert not Like.count(video.video_id, consistent_read=True)


class TestCountsApart:
    def test_a_view_writes_no_video_item(self):
        """Counting a view writes the view marker and one tally shard, never the Video
        item (whose indexes it would rewrite); the first view in a refresh period also
        queues the video for the search index, later ones do not."""
        video = make_ready_video()
        with count_dynamodb_requests() as calls, dynamodb_writes() as writes:
            assert services.view_record(video_id=video.video_id, viewer_key="v1")
        assert [c for c in calls if c == "TransactWriteItems"] == []
        assert writes == [
            ("PutItem", Counter.Meta.table_name),
            ("UpdateItem", Tally.Meta.table_name),
            ("UpdateItem", SearchPending.Meta.table_name),
        ]
        with dynamodb_writes() as writes:
            assert services.view_record(video_id=video.video_id, viewer_key="v2")
        assert writes == [
            ("PutItem", Counter.Meta.table_name),
            ("UpdateItem", Tally.Meta.table_name),
        ]
        assert video_counts(video.video_id, consistent=True).views == 2
        assert video_get(video.video_id, consistent=True).title == video.title


class TestAuditMonths:
    def test_newest_first_across_months_and_shards(self, monkeypatch):
        """Entries of this month and of two months ago, by several moderators, read back
        newest first; the page looks back over an empty month to find the older ones."""
        now = int(time.time())
        month = 31 * 24 * 3600
        stamps = [now - 2 * month - 10, now - 2 * month, now - 5, now]
        written = []
        for n, at in enumerate(stamps):
            moderator = f"mod{n}{secrets.token_hex(2)}"
            entry = AuditEntry(
                dynamodb.sharded_key(time.strftime("%Y-%m", time.gmtime(at)), moderator, 4),
                new_ulid(at * 1000),
                moderator_id=moderator,
                action="dismiss",
                target_key=f"video#{new_id()}",
                reason="test",
                created_at=at,
            )
            entry.save()
            written.append(entry)
        try:
            found, cursor = [], None
            for _ in range(10):
                page = audit_log(limit=50, cursor=cursor)
                found += [e.entry_id for e in page.items]
                cursor = page.next_cursor
                if all(w.entry_id in found for w in written) or not cursor:
                    break
            mine = [e for e in found if e in {w.entry_id for w in written}]
            assert mine == [w.entry_id for w in reversed(written)]
        finally:
            for entry in written:
                entry.delete()
