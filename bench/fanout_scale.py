"""Fan-out at scale: one channel with N subscribers (100,000 by default) publishes.

Measured on a worker *subprocess* (``manage.py notification_worker --once``), so its
peak RSS is its own (VmHWM, polled from /proc): wall time, peak RSS and BatchWriteItem requests
(against the minimum, ceil(items / 25)). Then a second video's worker is SIGKILLed
about half-way, a new worker resumes after the lease ran out, and a Scan of
Notifications (allowed here, never on a request path) counts subscribers notified
twice or never.

    python -m bench.fanout_scale --subscribers 5000
"""

from __future__ import annotations

import argparse
import math
import os
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from bench.results import record
from bench.stack import django_with_stack

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The killed worker's lease: short, so the resume does not wait a minute.
KILLED_LEASE_S = 5.0
SEED_WRITERS = 8


def _seed_subscribers(channel_id: str, count: int) -> None:
    """``count`` notify=all subscriptions, 25 a BatchWriteItem, a few requests at once."""
    from social_app.models import Subscription, subscriber_shard
    from videoplatform.aws import dynamodb_client

    table = Subscription.Meta.table_name
    client = dynamodb_client()

    def write(start: int) -> None:
        requests = []
        for i in range(start, min(start + 25, count)):
            user_id = f"fan{i:07d}"
            item = Subscription(
                user_id,
                channel_id,
                channel_shard=subscriber_shard(channel_id, user_id),
                notify="all",
                created_at=0,
            )
            requests.append({"PutRequest": {"Item": item.serialize()}})
        pending = {table: requests}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems")

    with ThreadPoolExecutor(SEED_WRITERS) as pool:
        list(pool.map(write, range(0, count, 25)))


def _start_worker(*extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "notification_worker", "--once", *extra],
        cwd=REPO_ROOT,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        text=True,
    )


def _high_water_kib(pid: int) -> int:
    """VmHWM of a running process: the peak RSS of its own address space."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass
    return 0


def _finish(process: subprocess.Popen) -> tuple[str, int]:
    """The worker's output and its peak RSS in KiB.

    Read from /proc while it runs: getrusage/wait4 would not do, as Linux carries the
    parent's high-water mark into a vforked child across exec (this process, with its
    test fixtures loaded, is the bigger one)."""
    peak = 0
    finished = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not finished.is_set():
            peak = max(peak, _high_water_kib(process.pid))
            finished.wait(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    output = process.stdout.read()  # until the worker exits
    finished.set()
    watcher.join()
    if process.wait() != 0:
        raise RuntimeError(f"worker exited with {process.returncode}: {output}")
    return output, peak


def _batch_requests(output: str) -> int:
    found = re.search(r"batch_requests=(\d+)", output)
    if not found:
        raise RuntimeError(f"no batch_requests in the worker's output: {output!r}")
    return int(found.group(1))


def _delivered(job_id: str) -> int:
    from social_app.models import FanoutTask

    return sum(task.delivered for task in FanoutTask.query(job_id, consistent_read=True))


def _notifications_per_user(link: str) -> dict[str, int]:
    """Scan the Notifications table (8 segments in parallel) for one video's notices."""
    from social_app.models import Notification
    from videoplatform.aws import dynamodb_client

    client = dynamodb_client()
    segments = 8

    def scan(segment: int) -> dict[str, int]:
        counts: dict[str, int] = {}
        kwargs = {
            "TableName": Notification.Meta.table_name,
            "Segment": segment,
            "TotalSegments": segments,
            "FilterExpression": "link = :link",
            "ExpressionAttributeValues": {":link": {"S": link}},
            "ProjectionExpression": "user_id",
        }
        while True:
            page = client.scan(**kwargs)
            for item in page["Items"]:
                user_id = item["user_id"]["S"]
                counts[user_id] = counts.get(user_id, 0) + 1
            if "LastEvaluatedKey" not in page:
                return counts
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    merged: dict[str, int] = {}
    with ThreadPoolExecutor(segments) as pool:
        for counts in pool.map(scan, range(segments)):
            for user_id, count in counts.items():
                merged[user_id] = merged.get(user_id, 0) + count
    return merged


def run(subscribers: int = 100_000) -> dict:
    django_with_stack()
    from conftest import make_channel, make_user
    from social_app.tests.factories import make_ready_video

    owner = make_user()
    channel = make_channel(owner=owner)
    started = time.monotonic()
    _seed_subscribers(channel.channel_id, subscribers)
    print(f"seeded {subscribers} subscribers in {time.monotonic() - started:.1f} s", flush=True)
    items = 2 * subscribers  # a feed entry and a notification each (all notify=all)

    # 1. One whole fan-out in one worker process.
    make_ready_video(owner=owner, channel=channel, title="Scale run")  # enqueues the job
    started = time.monotonic()
    output, peak_kib = _finish(_start_worker("--worker-id", "bench-1"))
    fanout_s = time.monotonic() - started
    requests = _batch_requests(output)
    print(
        f"fan-out to {subscribers} subscribers: {fanout_s:.1f} s, worker peak RSS "
        f"{peak_kib / 1024:.0f} MB, {requests} BatchWriteItem requests "
        f"(minimum {math.ceil(items / 25)})",
        flush=True,
    )

    # 2. A worker killed half-way, resumed by another once its lease has run out.
    video = make_ready_video(owner=owner, channel=channel, title="Scale run, interrupted")
    job_id = f"video#{video.video_id}"
    killed = _start_worker("--worker-id", "bench-killed", "--lease", str(KILLED_LEASE_S))
    while _delivered(job_id) < subscribers // 2:
        if killed.poll() is not None:
            raise RuntimeError("the worker finished before it could be killed")
        time.sleep(0.05)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    at_kill = _delivered(job_id)
    print(f"killed the worker with {at_kill} of {subscribers} subscribers recorded", flush=True)
    time.sleep(KILLED_LEASE_S + 0.5)
    started = time.monotonic()
    output, _ = _finish(_start_worker("--worker-id", "bench-resume"))
    resume_s = time.monotonic() - started
    counts = _notifications_per_user(f"/watch/{video.video_id}/")
    expected = {f"fan{i:07d}" for i in range(subscribers)}
    duplicates = sum(count - 1 for user_id, count in counts.items() if count > 1)
    missing = len(expected - counts.keys())
    print(
        f"resumed in {resume_s:.1f} s ({_batch_requests(output)} requests); "
        f"duplicates {duplicates}, missing {missing}, delivered {_delivered(job_id)}",
        flush=True,
    )

    figures = {
        "fanout_subscribers": subscribers,
        "fanout_100k_s": round(fanout_s, 2),
        "fanout_peak_rss_mb": round(peak_kib / 1024, 1),
        "fanout_batch_requests": requests,
        "fanout_batch_requests_min": math.ceil(items / 25),
        "fanout_resume_duplicates": duplicates,
        "fanout_resume_missing": missing,
    }
    for name, value in figures.items():
        print(f"  {name}: {value}")
    return figures


def main(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout_scale")
    parser.add_argument("--subscribers", type=int, default=100_000)
    options = parser.parse_args(argv)
    return record(**run(options.subscribers))


if __name__ == "__main__":
    main(sys.argv[1:])
