"""The publish and go-live fan-out job against the real DynamoDB Local: shard tasks,
leases, checkpoints, resumption after a crash, retries of unprocessed items, and that
every subscriber hears of a video or a stream exactly once."""

import io
import secrets
import threading
import time

import pytest
from django.core.management import call_command

from conftest import make_channel, make_user
from live_app import services as live_services
from live_app.tests.test_live import stream_event
from social_app import fanout, notifications
from social_app.fanout import fanout_enqueue, fanout_enqueue_video_published, fanout_run_once
from social_app.models import (
    SUBSCRIBER_SHARDS,
    FanoutTask,
    FeedEntry,
    Notification,
    Subscription,
    subscriber_shard,
)
from social_app.notifications import (
    BATCH_ATTEMPTS,
    FanoutDelivery,
    FanoutDeliveryError,
    Subscriber,
    fanout_notification_id,
    fanout_page_deliver,
)
from social_app.tests.factories import make_ready_video
from videoplatform.aws import dynamodb_client
from videoplatform.events import handle_event
from videoplatform.reactions import VIDEO_PUBLISHED, announce, reactions_to
from videos_app.services import video_update

# --- helpers -------------------------------------------------------------------------


def drain(worker_id: str = "drain") -> None:
    while fanout_run_once(worker_id=worker_id):
        pass


def new_ids(count: int, *, channel_id: str | None = None, shard: int | None = None) -> list[str]:
    """Fresh subscriber ids, all in one shard of the channel's subscribers when asked."""
    found: list[str] = []
    while len(found) < count:
        user_id = f"fan{secrets.token_hex(5)}"
        if shard is None or subscriber_shard(channel_id, user_id) == f"{channel_id}#{shard}":
            found.append(user_id)
    return found


def seed_subscribers(channel_id: str, user_ids: list[str], *, notify: str = "all") -> None:
    """Subscription items as ``subscription_set`` writes them, without signing up users
    (the fan-out reads only the subscriber index)."""
    with Subscription.batch_write() as batch:
        for user_id in user_ids:
            batch.save(
                Subscription(
                    user_id,
                    channel_id,
                    channel_shard=subscriber_shard(channel_id, user_id),
                    notify=notify,
                    created_at=int(time.time()),
                )
            )


def notes(user_id: str, link: str) -> list[Notification]:
    return [n for n in Notification.query(user_id, consistent_read=True) if n.link == link]


def feed(user_id: str, video_id: str) -> list[FeedEntry]:
    return [e for e in FeedEntry.query(user_id, consistent_read=True) if e.video_id == video_id]


def tasks_of(job_id: str) -> list[FanoutTask]:
    return sorted(FanoutTask.query(job_id, consistent_read=True), key=lambda t: t.shard)


def watch(video) -> str:
    return f"/watch/{video.video_id}/"


@pytest.fixture(autouse=True)
def only_this_tests_jobs():
    """Jobs other tests left open are run first, so the workers here see only ours."""
    drain()


@pytest.fixture
def owner():
    return make_user()


@pytest.fixture
def channel(owner):
    return make_channel(owner=owner, name="Fan Channel")


@pytest.fixture
def small_pages(monkeypatch):
    """Pages of 2 subscribers, so a shard of a few subscribers takes several pages."""
    monkeypatch.setattr(fanout, "FANOUT_PAGE_SIZE", 2)


# --- delivery ------------------------------------------------------------------------


class TestDelivery:
    def test_every_subscriber_across_shards_once(self, owner, channel, small_pages):
        """A published video reaches subscribers in many shards, over several pages per
        shard: notify=all get one notification and one feed entry, notify=none only the
        feed entry; every task ends done and out of the open index."""
        video = make_ready_video(owner=owner, channel=channel, title="Across shards")
        loud, quiet = new_ids(40), new_ids(10)
        seed_subscribers(channel.channel_id, loud)
        seed_subscribers(channel.channel_id, quiet, notify="none")
        assert len({subscriber_shard(channel.channel_id, u) for u in loud + quiet}) > 8

        drain()

        tasks = tasks_of(f"video#{video.video_id}")
        assert [t.shard for t in tasks] == list(range(SUBSCRIBER_SHARDS))
        assert {t.status for t in tasks} == {"done"}
        assert not any(t.open_partition or t.open_since or t.lease_expires_at for t in tasks)
        assert sum(t.delivered for t in tasks) == 50
        expected_id = fanout_notification_id(
            job_id=f"video#{video.video_id}", published_ms=tasks[0].published_ms
        )
        for user_id in loud:
            (note,) = notes(user_id, watch(video))
            assert note.notification_id == expected_id
            assert note.kind == "video" and not note.read
            assert note.text == "Fan Channel published “Across shards”"
            assert len(feed(user_id, video.video_id)) == 1
        for user_id in quiet:
            assert notes(user_id, watch(video)) == []
            (entry,) = feed(user_id, video.video_id)
            assert entry.entry_id == f"{video.published_at:010d}#{video.video_id}"

    def test_live_job_writes_notifications_only(self, owner, channel):
        """A stream going live notifies notify=all subscribers once ("<channel> is live:
        <title>", linking the live page) and writes no feed entries."""
        session = live_services.live_session_create(
            actor=owner, channel_id=channel.channel_id, title="Evening show"
        )
        loud, quiet = new_ids(6), new_ids(3)
        seed_subscribers(channel.channel_id, loud)
        seed_subscribers(channel.channel_id, quiet, notify="none")

        # Stream Start moves the session live and announces it (the job only runs for a
        # session still live).
        assert handle_event(stream_event(session, "Stream Start")) == "applied"
        drain()

        link = f"/live/{session.stream_id}/"
        for user_id in loud:
            (note,) = notes(user_id, link)
            assert note.kind == "live" and note.text == "Fan Channel is live: Evening show"
        for user_id in loud + quiet:
            assert list(FeedEntry.query(user_id, consistent_read=True)) == []
        for user_id in quiet:
            assert notes(user_id, link) == []
        tasks = tasks_of(f"live#{session.stream_id}")
        assert {t.status for t in tasks} == {"done"} and sum(t.delivered for t in tasks) == 9

    @pytest.mark.parametrize("change", ["private", "unlisted"])
    def test_video_hidden_before_the_fanout_delivers_nothing(self, owner, channel, change):
        """A video made private or unlisted after its job was enqueued but before a worker
        ran it reaches nobody; its tasks are closed without delivering."""
        video = make_ready_video(owner=owner, channel=channel, title="Second thoughts")
        subscribers = new_ids(12)
        seed_subscribers(channel.channel_id, subscribers)
        video_update(actor=owner, video=video, title=video.title, description="", visibility=change)

        drain()

        tasks = tasks_of(f"video#{video.video_id}")
        assert {t.status for t in tasks} == {"done"}
        assert sum(t.delivered for t in tasks) == 0
        for user_id in subscribers:
            assert notes(user_id, watch(video)) == []
            assert feed(user_id, video.video_id) == []

    def test_worker_command_once(self, owner, channel):
        """``notification_worker --once`` runs every free task and reports what it did."""
        video = make_ready_video(owner=owner, channel=channel, title="By the command")
        subscribers = new_ids(3)
        seed_subscribers(channel.channel_id, subscribers)
        out = io.StringIO()
        call_command("notification_worker", "--once", stdout=out)
        assert f"tasks={SUBSCRIBER_SHARDS} subscribers=3 batch_requests=" in out.getvalue()
        for user_id in subscribers:
            assert len(notes(user_id, watch(video))) == 1


# --- exactly once --------------------------------------------------------------------


class TestExactlyOnce:
    def test_enqueued_twice_runs_once(self, owner, channel):
        """Publishing enqueues the job through the VIDEO_PUBLISHED reaction; announcing it
        again, before or after it ran, neither restarts nor doubles it."""
        assert fanout_enqueue_video_published in reactions_to(VIDEO_PUBLISHED)
        video = make_ready_video(owner=owner, channel=channel, title="Announced twice")
        subscribers = new_ids(8)
        seed_subscribers(channel.channel_id, subscribers)

        assert fanout_enqueue_video_published(video=video) is False
        announce(VIDEO_PUBLISHED, video=video)
        drain()
        assert fanout_enqueue_video_published(video=video) is False
        assert fanout_run_once(worker_id="again") == 0

        tasks = tasks_of(f"video#{video.video_id}")
        assert len(tasks) == SUBSCRIBER_SHARDS
        assert {t.attempts for t in tasks} == {1}
        assert sum(t.delivered for t in tasks) == 8
        for user_id in subscribers:
            assert len(notes(user_id, watch(video))) == 1
            assert len(feed(user_id, video.video_id)) == 1

    def test_dead_worker_is_resumed_from_its_checkpoint(
        self, owner, channel, small_pages, monkeypatch
    ):
        """Worker A delivers a shard's first page, checkpoints, writes the second page and
        dies before its checkpoint. While A's lease holds nobody takes the shard; once it
        has run out, worker B starts at A's checkpoint (repeating only the page A never
        recorded) and every subscriber has exactly one notification and one feed entry."""
        video = make_ready_video(owner=owner, channel=channel, title="Crash course")
        shard = 5
        subscribers = sorted(new_ids(7, channel_id=channel.channel_id, shard=shard))
        seed_subscribers(channel.channel_id, subscribers)
        job_id = f"video#{video.video_id}"

        class Crash(Exception):
            pass

        real_deliver = fanout.fanout_page_deliver
        pages: list[tuple[str, list[str]]] = []
        state = {"worker": "A"}

        def deliver(*, delivery, subscribers):
            requests = real_deliver(delivery=delivery, subscribers=subscribers)
            pages.append((state["worker"], [s.user_id for s in subscribers]))
            if state["worker"] == "A" and len(pages) == 2:
                raise Crash  # written, not yet checkpointed
            return requests

        monkeypatch.setattr(fanout, "fanout_page_deliver", deliver)

        with pytest.raises(Crash):
            drain("A")
        (task,) = [t for t in tasks_of(job_id) if t.shard == shard]
        assert task.status == "open" and task.lease_owner == "A"
        assert task.cursor == subscribers[1] and task.delivered == 2

        state["worker"] = "B"
        drain("B")  # A's lease still holds: B finishes the other shards only
        (task,) = [t for t in tasks_of(job_id) if t.shard == shard]
        assert task.status == "open" and task.lease_owner == "A"

        later = time.time() + fanout.FANOUT_LEASE_S + 1
        monkeypatch.setattr(fanout, "_now", lambda: later)
        drain("B")

        assert (
            pages
            == [
                ("A", subscribers[0:2]),
                ("A", subscribers[2:4]),
                ("B", subscribers[2:4]),  # the page A wrote but never checkpointed
                ("B", subscribers[4:6]),
                ("B", subscribers[6:7]),
            ]
        )
        (task,) = [t for t in tasks_of(job_id) if t.shard == shard]
        assert task.status == "done" and task.lease_owner == "B" and task.attempts == 2
        assert task.delivered == 7 and task.cursor == subscribers[-1]
        assert {t.status for t in tasks_of(job_id)} == {"done"}
        for user_id in subscribers:
            assert len(notes(user_id, watch(video))) == 1
            assert len(feed(user_id, video.video_id)) == 1

    def test_two_workers_share_one_job(self, owner, channel, monkeypatch):
        """While worker A holds one shard (its first page is in flight), worker B runs
        every other shard and leaves A's alone; each subscriber is notified once."""
        video = make_ready_video(owner=owner, channel=channel, title="Shared work")
        subscribers = []
        for shard in range(SUBSCRIBER_SHARDS):
            subscribers += new_ids(2, channel_id=channel.channel_id, shard=shard)
        seed_subscribers(channel.channel_id, subscribers)
        job_id = f"video#{video.video_id}"

        real_deliver = fanout.fanout_page_deliver
        a_inside, let_a_go = threading.Event(), threading.Event()

        def deliver(*, delivery, subscribers):
            if threading.current_thread().name == "worker-A":
                a_inside.set()
                assert let_a_go.wait(30)
            return real_deliver(delivery=delivery, subscribers=subscribers)

        monkeypatch.setattr(fanout, "fanout_page_deliver", deliver)
        finished_by_a: list[int] = []
        worker_a = threading.Thread(
            target=lambda: finished_by_a.append(fanout_run_once(worker_id="A", limit=1)),
            name="worker-A",
        )
        worker_a.start()
        try:
            assert a_inside.wait(30)
            assert fanout_run_once(worker_id="B") == SUBSCRIBER_SHARDS - 1
        finally:
            let_a_go.set()
            worker_a.join(30)
        assert finished_by_a == [1]

        owners = [t.lease_owner for t in tasks_of(job_id)]
        assert sorted(owners) == ["A"] + ["B"] * (SUBSCRIBER_SHARDS - 1)
        assert {t.status for t in tasks_of(job_id)} == {"done"}
        for user_id in subscribers:
            assert len(notes(user_id, watch(video))) == 1

    def test_stopping_worker_hands_its_task_back(self, owner, channel, small_pages):
        """A worker asked to stop finishes its page, checkpoints and hands the task back:
        another worker resumes it at once (no lease to wait for), after the checkpoint."""
        video = make_ready_video(owner=owner, channel=channel, title="Graceful")
        subscribers = sorted(new_ids(5, channel_id=channel.channel_id, shard=3))
        seed_subscribers(channel.channel_id, subscribers)
        job_id = f"video#{video.video_id}"
        tally = fanout.FanoutTally()
        stop = threading.Event()

        def should_stop() -> bool:
            # Stop as soon as the crowded shard has one page behind it.
            return tally.subscribers > 0 or stop.is_set()

        while fanout_run_once(worker_id="A", limit=1, tally=tally, should_stop=should_stop):
            pass
        (task,) = [t for t in tasks_of(job_id) if t.shard == 3]
        assert task.status == "open" and task.lease_expires_at is None
        assert task.cursor == subscribers[1] and task.delivered == 2

        drain("B")
        (task,) = [t for t in tasks_of(job_id) if t.shard == 3]
        assert task.status == "done" and task.lease_owner == "B" and task.delivered == 5
        for user_id in subscribers:
            assert len(notes(user_id, watch(video))) == 1


# --- batch writes --------------------------------------------------------------------


class FlakyClient:
    """The real DynamoDB client, except that the first ``flaky_requests`` BatchWriteItem
    requests write only half of their items (or none) and hand the rest back as
    UnprocessedItems, as DynamoDB does under throttling."""

    def __init__(self, *, flaky_requests: int, write_half: bool = True):
        self.real = dynamodb_client()
        self.flaky_left = flaky_requests
        self.write_half = write_half
        self.requests = 0
        self.lock = threading.Lock()

    def batch_write_item(self, *, RequestItems):
        with self.lock:
            self.requests += 1
            flaky = self.flaky_left > 0
            self.flaky_left -= 1
        if not flaky:
            return self.real.batch_write_item(RequestItems=RequestItems)
        written, unprocessed = {}, {}
        for table, requests in RequestItems.items():
            half = len(requests) // 2 if self.write_half else 0
            if requests[:half]:
                written[table] = requests[:half]
            if requests[half:]:
                unprocessed[table] = requests[half:]
        if written:
            self.real.batch_write_item(RequestItems=written)
        return {"UnprocessedItems": unprocessed}


def live_delivery(*, subject_id: str) -> FanoutDelivery:
    return FanoutDelivery(
        job_id=f"live#{subject_id}",
        kind="live",
        channel_id="chan",
        subject_id=subject_id,
        text="Chan is live: test",
        link=f"/live/{subject_id}/",
        published_ms=int(time.time() * 1000),
    )


class TestBatchWrites:
    def test_unprocessed_items_are_sent_again_after_a_backoff(self, monkeypatch):
        """30 notifications need 2 BatchWriteItem requests; when one comes back with
        UnprocessedItems the rest is sent again after one jittered wait, the extra
        request is counted, and every item is written once."""
        client = FlakyClient(flaky_requests=1)
        monkeypatch.setattr(notifications, "dynamodb_client", lambda: client)
        waits: list[int] = []
        monkeypatch.setattr(notifications, "_backoff", waits.append)
        delivery = live_delivery(subject_id=f"s{secrets.token_hex(4)}")
        subscribers = [Subscriber(user_id=u, notify="all") for u in new_ids(30)]

        requests = fanout_page_deliver(delivery=delivery, subscribers=subscribers)

        assert requests == client.requests == 3
        assert waits == [0]
        for subscriber in subscribers:
            assert len(notes(subscriber.user_id, delivery.link)) == 1

    def test_backoff_is_jittered_and_grows(self, monkeypatch):
        """The wait before a retry is random, never above a cap that doubles with each
        attempt (full jitter)."""
        slept: list[float] = []
        monkeypatch.setattr(notifications.time, "sleep", slept.append)
        for attempt in range(6):
            for _ in range(20):
                notifications._backoff(attempt)
        for attempt in range(6):
            cap = min(
                notifications.BATCH_BACKOFF_CAP_S, notifications.BATCH_BACKOFF_BASE_S * 2**attempt
            )
            waits = slept[attempt * 20 : (attempt + 1) * 20]
            assert all(0 <= w <= cap for w in waits) and len(set(waits)) > 1

    def test_items_never_processed_fail_the_page_and_the_task_resumes(
        self, owner, channel, monkeypatch
    ):
        """A page whose items stay unprocessed fails after BATCH_ATTEMPTS requests (with a
        growing backoff between them); the task keeps its lease and checkpoint, and a
        worker delivers it once the lease has run out."""
        video = make_ready_video(owner=owner, channel=channel, title="Throttled")
        subscribers = new_ids(3, channel_id=channel.channel_id, shard=0)
        seed_subscribers(channel.channel_id, subscribers)
        client = FlakyClient(flaky_requests=10**6, write_half=False)
        monkeypatch.setattr(notifications, "dynamodb_client", lambda: client)
        waits: list[int] = []
        monkeypatch.setattr(notifications, "_backoff", waits.append)

        with pytest.raises(FanoutDeliveryError):
            drain("A")
        assert waits == list(range(BATCH_ATTEMPTS - 1))
        (task,) = [t for t in tasks_of(f"video#{video.video_id}") if t.shard == 0]
        assert task.status == "open" and task.lease_owner == "A" and task.delivered == 0

        monkeypatch.setattr(notifications, "dynamodb_client", dynamodb_client)
        later = time.time() + fanout.FANOUT_LEASE_S + 1
        monkeypatch.setattr(fanout, "_now", lambda: later)
        drain("B")
        (task,) = [t for t in tasks_of(f"video#{video.video_id}") if t.shard == 0]
        assert task.status == "done" and task.lease_owner == "B" and task.delivered == 3
        for user_id in subscribers:
            assert len(notes(user_id, watch(video))) == 1
            assert len(feed(user_id, video.video_id)) == 1

    def test_enqueue_refuses_an_unknown_kind(self):
        """Only "video" and "live" jobs exist."""
        with pytest.raises(ValueError):
            fanout_enqueue(
                kind="mail",
                subject_id="x",
                channel_id="c",
                text="t",
                link="/",
                published_ms=0,
            )


class TestLiveEnded:
    def test_stream_ended_before_the_fanout_tells_nobody(self, owner, channel):
        """A stream that ended before a worker ran its "is live" job notifies nobody."""
        session = live_services.live_session_create(
            actor=owner, channel_id=channel.channel_id, title="Short show"
        )
        subscribers = new_ids(4)
        seed_subscribers(channel.channel_id, subscribers)
        handle_event(stream_event(session, "Stream Start"))
        handle_event(stream_event(session, "Stream End"))
        drain()
        for user_id in subscribers:
            assert notes(user_id, f"/live/{session.stream_id}/") == []
