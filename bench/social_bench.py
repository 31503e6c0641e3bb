"""Social benchmarks: the publish fan-out to 5,000 subscribers, and the watch page's
DynamoDB request count at 5 and 300 comments (it must not grow)."""

from __future__ import annotations

import time

from bench.results import record
from bench.stack import django_with_stack

SUBSCRIBERS = 5000


def _seed_subscribers(channel_id: str, count: int) -> None:
    from social_app.models import Subscription, subscriber_shard

    with Subscription.batch_write() as batch:
        for i in range(count):
            user_id = f"benchuser{i:05d}"
            batch.save(
                Subscription(
                    user_id,
                    channel_id,
                    channel_shard=subscriber_shard(channel_id, user_id),
                    notify="all",
                    created_at=0,
                )
            )


def _ready_video(owner, channel, title: str):
    from social_app.tests.factories import make_ready_video

    return make_ready_video(owner=owner, channel=channel, title=title)


def main(argv: list[str]) -> dict:
    django_with_stack()
    from django.test import Client

    from conftest import make_channel, make_user
    from social_app import notifications
    from social_app.fanout import FanoutTally, fanout_run_once
    from social_app.models import SUBSCRIBER_SHARDS, Comment, FeedEntry, Notification
    from videoplatform.dynamodb import new_ulid
    from videoplatform.testing.requests import count_dynamodb_requests

    owner = make_user()
    channel = make_channel(owner=owner)
    started = time.monotonic()
    _seed_subscribers(channel.channel_id, SUBSCRIBERS)
    print(f"seeded {SUBSCRIBERS} subscribers in {time.monotonic() - started:.1f} s")

    def drain() -> FanoutTally:
        tally = FanoutTally()
        while fanout_run_once(worker_id="social-bench", tally=tally):
            pass
        assert tally.tasks == SUBSCRIBER_SHARDS and tally.subscribers == SUBSCRIBERS, tally
        return tally

    # Side by side in one run: one BatchWrite request in flight at a time against ours.
    notifications.FANOUT_WRITERS, parallel = 1, notifications.FANOUT_WRITERS
    _ready_video(owner, channel, "Fan-out benchmark, one writer")  # enqueues its job
    started = time.monotonic()
    drain()
    serial_s = time.monotonic() - started
    notifications.FANOUT_WRITERS = parallel
    _ready_video(owner, channel, "Fan-out benchmark")
    with count_dynamodb_requests() as calls:
        started = time.monotonic()
        tally = drain()
        fanout_s = time.monotonic() - started
    sample = f"benchuser{SUBSCRIBERS - 1:05d}"
    assert Notification.count(sample) >= 2 and FeedEntry.count(sample) >= 2
    by_operation: dict[str, int] = {}
    for name in calls:
        by_operation[name] = by_operation.get(name, 0) + 1
    print(
        f"fan-out to {SUBSCRIBERS} subscribers: {fanout_s:.2f} s with {parallel} writers, "
        f"{serial_s:.2f} s with one (ratio {fanout_s / serial_s:.2f}); "
        f"{len(calls)} DynamoDB requests {by_operation}"
    )
    print(
        f"  ({2 * SUBSCRIBERS} items written in {tally.batch_requests} BatchWriteItem requests;"
        " one carries at most 25 items)"
    )

    counts = {}
    client = Client(HTTP_HOST="127.0.0.1")
    for n in (5, 300):
        target = _ready_video(owner, channel, f"{n} comments")
        with Comment.batch_write() as batch:
            for i in range(n):
                batch.save(
                    Comment(
                        target.video_id,
                        new_ulid(),
                        user_id="u",
                        author_name="bench",
                        text=f"comment {i}",
                        created_at=0,
                    )
                )
        client.get(f"/watch/{target.video_id}/")  # warm-up: connections, templates
        with count_dynamodb_requests() as page_calls:
            response = client.get(f"/watch/{target.video_id}/")
        assert response.status_code == 200
        counts[n] = len(page_calls)
    print(
        f"watch page DynamoDB requests: 5 comments -> {counts[5]}, 300 comments -> {counts[300]} "
        f"(ratio {counts[300] / counts[5]:.2f}; budget 6)"
    )
    return record(
        fanout_5000_s=round(fanout_s, 3),
        fanout_5000_one_writer_s=round(serial_s, 3),
        fanout_5000_requests=len(calls),
        watch_page_ddb_requests_5_comments=counts[5],
        watch_page_ddb_requests_300_comments=counts[300],
    )
