"""One half of `python -m bench scale`: the same steps for the old write path and
today's, each behind a ``Side``.

``run_half`` measures the WCU of one view, like, comment and subscribe, the largest
share of the item writes of views spread over many videos that lands on one partition
key, and what one hot video does under concurrent like/unlike toggles and views.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from bench.capacity_meter import CapacityMeter, TableWrite, is_rate_limit_counter, measure_writes

NO_LANDING = (("-", "", "-"), 0)


def table_prefix() -> str:
    from django.conf import settings

    return settings.DYNAMODB_TABLE_PREFIX


class Side:
    """What a half needs from a write path. ``prepare`` fills the attributes."""

    name = ""
    spread_video_ids: list[str]
    op_video_id: str  # liked and commented on by op_users
    hot_video_id: str
    sub_channel_id: str  # subscribed to by op_users
    op_users: list
    hot_clients: list[list]  # per concurrent client, its own users
    excluded: Callable[[TableWrite], bool] = staticmethod(is_rate_limit_counter)

    def prepare(self, options) -> None:
        raise NotImplementedError

    def view(self, video_id: str, viewer_key: str) -> bool:
        raise NotImplementedError

    def like(self, user, video_id: str, liked: bool) -> None:
        raise NotImplementedError

    def comment(self, user, video_id: str, text: str) -> None:
        raise NotImplementedError

    def subscribe(self, user, channel_id: str) -> None:
        raise NotImplementedError

    def counts(self, video_id: str) -> tuple[int, int]:
        """(views, likes) as the app reports them."""
        raise NotImplementedError

    def like_items(self, video_id: str) -> int:
        raise NotImplementedError

    def seed_videos(self, options, video: Callable[[int], str]) -> None:
        """The spread videos (eight at a time), then the op video and the hot video;
        ``video(n)`` makes the n-th and returns its id."""
        with ThreadPoolExecutor(8) as pool:
            self.spread_video_ids = list(pool.map(video, range(options.videos)))
        self.op_video_id = video(options.videos)
        self.hot_video_id = video(options.videos + 1)


def _error_name(error: Exception) -> str:
    code = getattr(error, "cause_response_code", None)
    reasons = getattr(error, "cancellation_reasons", None) or []
    codes = sorted({r.code for r in reasons if r is not None and r.code != "None"})
    detail = ",".join([code] if code and not codes else codes) if (code or codes) else ""
    return f"{type(error).__name__}({detail})" if detail else type(error).__name__


def _run_parallel(tasks: list[Callable[[], object]], threads: int) -> Counter:
    """Run tasks on a pool; returns the exceptions raised, by name."""
    errors: Counter = Counter()
    lock = threading.Lock()

    def guarded(task):
        try:
            task()
        except Exception as error:
            with lock:
                errors[_error_name(error)] += 1

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(guarded, tasks))
    return errors


def _per_operation(
    side: Side, prefix: str, label: str, ops: list[Callable[[], object]]
) -> tuple[float, float]:
    """Mean WCU of one operation over ``ops`` run one after another, as DynamoDB Local
    reports it and with transactions at AWS's price."""
    with measure_writes(prefix=prefix, record_keys=False) as meter:
        for op in ops:
            op()
    units = meter.units(side.excluded) / len(ops)
    breakdown = {
        k: round(v / len(ops), 2) for k, v in sorted(meter.by_target(side.excluded).items())
    }
    left_out = meter.units() - meter.units(side.excluded)
    note = (
        f"; left out {left_out / len(ops):.2f} WCU/op ({_left_out_tables(meter, side)})"
        if left_out
        else ""
    )
    aws = meter.units(side.excluded, aws_price=True) / len(ops)
    if aws != units:
        note += f"; {aws:.2f} at AWS's transaction price"
    print(f"  [{side.name}] WCU per {label}: {units:.2f}  {breakdown}{note}", flush=True)
    return units, aws


def _left_out_tables(meter: CapacityMeter, side: Side) -> str:
    tables = sorted({w.table for w in meter.kept() if side.excluded(w)})
    return ", ".join(tables)


def _most_landed(landed: Counter) -> tuple[tuple[str, str, str], int]:
    """((table, index or "", partition key), item writes) of the busiest key."""
    return landed.most_common(1)[0] if landed else NO_LANDING


def run_half(side: Side, options) -> dict:
    prefix = table_prefix()
    # Dozens of threads share botocore's pool of 10 connections: say nothing about it.
    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)
    started = time.monotonic()
    side.prepare(options)
    print(f"  [{side.name}] prepared in {time.monotonic() - started:.1f} s", flush=True)
    run = os.urandom(3).hex()  # keeps this run's viewer keys apart from earlier ones
    n = options.ops

    videos = side.spread_video_ids
    operations = {
        "view": [(lambda i=i: side.view(videos[i % len(videos)], f"op{run}{i}")) for i in range(n)],
        "like": [(lambda u=u: side.like(u, side.op_video_id, True)) for u in side.op_users[:n]],
        "comment": [
            (lambda i=i, u=u: side.comment(u, side.op_video_id, f"Lovely light here ({i})."))
            for i, u in enumerate(side.op_users[:n])
        ],
        "subscribe": [
            (lambda u=u: side.subscribe(u, side.sub_channel_id)) for u in side.op_users[:n]
        ],
    }
    figures: dict[str, object] = {}
    aws_price: dict[str, float] = {}  # printed beside the figures, not recorded
    for label, ops in operations.items():
        units, aws = _per_operation(side, prefix, label, ops)
        figures[f"wcu_per_{label}"] = round(units, 3)
        aws_price[f"wcu_per_{label}"] = round(aws, 3)
    figures["aws_price"] = aws_price

    # Views spread over many videos: which partition key takes the most writes?
    views = [
        (video_id, f"spread{run}{v}{k}")
        for v, video_id in enumerate(side.spread_video_ids)
        for k in range(options.views_per_video)
    ]
    random.shuffle(views)
    started = time.monotonic()
    with measure_writes(prefix=prefix) as meter:
        errors = _run_parallel(
            [(lambda v=v, k=k: side.view(v, k)) for v, k in views], options.spread_threads
        )
    landed = meter.landings(side.excluded)
    total = sum(landed.values())
    (table, index, key), top = _most_landed(landed)
    share = top / total if total else 0.0
    figures["max_key_write_share"] = round(share, 4)
    where = f"{table}/{index}" if index else table
    print(
        f"  [{side.name}] {len(views)} views over {len(side.spread_video_ids)} videos in "
        f"{time.monotonic() - started:.1f} s: {total} item writes on {len(landed)} partition "
        f"keys; most on one key {top} ({share:.2%}, {where} = {key!r}); errors {dict(errors)}",
        flush=True,
    )
    for (t, i, k), count in landed.most_common(4)[1:]:
        print(f"      next: {count} on {t + '/' + i if i else t} = {k!r}")

    # One hot video: concurrent like/unlike toggles and views.
    figures.update(_hot_video(side, options, run, prefix))
    return figures


def _hot_video(side: Side, options, run: str, prefix: str) -> dict:
    video_id = side.hot_video_id
    clients = side.hot_clients
    per_client = [options.toggles // len(clients)] * len(clients)
    for i in range(options.toggles % len(clients)):
        per_client[i] += 1
    states: list[dict] = []
    counted = [0]
    errors: Counter = Counter()
    lock = threading.Lock()

    def like_client(users, toggles):
        state = {id(u): False for u in users}
        for t in range(toggles):
            user = users[t % len(users)]
            wanted = not state[id(user)]
            try:
                side.like(user, video_id, wanted)
                state[id(user)] = wanted
            except Exception as error:
                with lock:
                    errors[f"like:{_error_name(error)}"] += 1
        with lock:
            states.append(state)

    def view_client(keys):
        for key in keys:
            try:
                if side.view(video_id, key):
                    with lock:
                        counted[0] += 1
            except Exception as error:
                with lock:
                    errors[f"view:{_error_name(error)}"] += 1

    keys = [f"hot{run}{i}" for i in range(options.hot_views)]
    view_threads = options.clients
    started = time.monotonic()
    with (
        measure_writes(prefix=prefix, record_keys=False) as meter,
        ThreadPoolExecutor(len(clients) + view_threads) as pool,
    ):
        futures = [
            pool.submit(like_client, users, n) for users, n in zip(clients, per_client, strict=True)
        ]
        futures += [pool.submit(view_client, keys[i::view_threads]) for i in range(view_threads)]
        for future in futures:
            future.result()
    elapsed = time.monotonic() - started
    # Item writes per base-table partition key (index keys are not looked up here).
    (table, _, key), top = _most_landed(meter.landings(side.excluded))
    top_units = sum(
        w.total / len(w.keys)
        for w in meter.kept(side.excluded)
        if w.table == table and key in w.keys
    )
    liked_expected = sum(sum(state.values()) for state in states)
    views, likes = side.counts(video_id)
    items = side.like_items(video_id)
    exact = likes == items and views == options.hot_views
    error_count = sum(errors.values())
    print(
        f"  [{side.name}] hot video: {options.toggles} like/unlike toggles from {len(clients)} "
        f"clients + {options.hot_views} views in {elapsed:.1f} s: {error_count} errors "
        f"{dict(errors)}; likes count {likes}, Like items {items} (successful toggles leave "
        f"{liked_expected}); views count {views} of {options.hot_views} "
        f"({counted[0]} reported counted) -> counts exact: {exact}; DynamoDB Local refused "
        f"{sum(meter.failures.values())} writes {dict(meter.failures)}; hottest partition key "
        f"{table} = {key!r}: {top} writes, {top_units:.0f} WCU (with its indexes)",
        flush=True,
    )
    return {"hot_video_errors": error_count, "hot_video_counts_exact": exact}
