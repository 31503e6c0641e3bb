"""The publish and go-live fan-out as a resumable, sharded job: the only writer of the
FanoutTasks table.

A job (``video#<video_id>`` or ``live#<stream_id>``) is SUBSCRIBER_SHARDS tasks, one
per partition of the subscriber index, created together when the video or stream is
announced. A worker claims a task with a lease, walks its partition a page at a time,
writes the page (``notifications.fanout_page_deliver``) and then checkpoints the last
subscriber done, renewing the lease. A worker that dies leaves its checkpoint behind;
once its lease runs out another worker takes the task over and starts after the
checkpoint. The page written again in between lands on the same keys (notification ids
are derived from the job, feed entries are keyed by video), so every subscriber ends up
with one notification and one feed entry, whatever crashed where.

Nothing here runs in a web or webhook request except ``fanout_enqueue`` (one
TransactWriteItems), which the announcing service calls.
"""

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from pynamodb.exceptions import PynamoDBException

from channels_app.selectors import channel_get
from live_app.models import LiveStatus
from live_app.selectors import session_get
from social_app.models import (
    FANOUT_OPEN,
    FANOUT_OPEN_SHARDS,
    SUBSCRIBER_SHARDS,
    FanoutTask,
    Subscription,
    fanout_open_partition,
)
from social_app.notifications import FanoutDelivery, Subscriber, fanout_page_deliver
from videoplatform.dynamodb import all_shards, condition_failed, transaction, write_once
from videos_app.models import VideoStatus, Visibility
from videos_app.selectors import video_get

logger = logging.getLogger(__name__)

VIDEO = "video"
LIVE = "live"
KINDS = frozenset({VIDEO, LIVE})
OPEN, DONE = "open", "done"

# Subscribers read (and held) at once: one Query of the subscriber index, at most two
# items each to write. Memory is bounded by this, not by the channel's size.
FANOUT_PAGE_SIZE = 1000
# A claim holds a task this long; every checkpoint renews it. A page takes well under
# it, so only a dead (or stuck) worker loses its task, and its successor waits at most
# this long before resuming.
FANOUT_LEASE_S = 60.0
# Open tasks looked at per open-index partition when a worker looks for work.
CANDIDATES_PER_PARTITION = 25
# Done tasks stay this long, so a repeated announcement finds the job and does nothing.
DONE_TTL_S = 30 * 24 * 3600
# A task claimed this often keeps failing: say so loudly (it is still retried).
ATTEMPTS_WARNING = 5


class LeaseLost(Exception):
    """Another worker took the task over (this one was too slow): stop working on it."""


class Stopped(Exception):
    """The worker was asked to stop between two pages; the task was handed back."""


@dataclass
class FanoutTally:
    """What a worker did: the notification worker prints it, the benchmark reads it."""

    tasks: int = 0
    subscribers: int = 0
    batch_requests: int = 0


def job_id_for(*, kind: str, subject_id: str) -> str:
    return f"{kind}#{subject_id}"


def _now() -> float:
    return time.time()


# --- Enqueue ---------------------------------------------------------------------------


def fanout_enqueue(
    *,
    kind: str,
    subject_id: str,
    channel_id: str,
    text: str,
    link: str,
    published_ms: int,
) -> bool:
    """Create a job's SUBSCRIBER_SHARDS tasks. False when the job already exists (a
    repeated announcement: the job is neither restarted nor doubled).

    One TransactWriteItems of conditional puts rather than 16 conditional PutItems: the
    job exists whole or not at all, so a failure half-way cannot leave shards whose
    subscribers would never hear of it (the announcer's retry creates it all), and a
    BatchWriteItem, the cheap bulk write, cannot carry the ``does_not_exist`` condition
    that makes a second announcement harmless. It costs 2 WCU per task, once per job.
    """
    if kind not in KINDS:
        raise ValueError(f"Unknown fan-out kind {kind!r}")
    job_id = job_id_for(kind=kind, subject_id=subject_id)
    now = _now()

    def write() -> None:
        with transaction() as tx:
            for shard in range(SUBSCRIBER_SHARDS):
                task = FanoutTask(
                    job_id,
                    shard,
                    kind=kind,
                    channel_id=channel_id,
                    subject_id=subject_id,
                    text=text,
                    link=link,
                    published_ms=int(published_ms),
                    status=OPEN,
                    delivered=0,
                    attempts=0,
                    created_at=int(now),
                    open_partition=fanout_open_partition(job_id, shard),
                    open_since=now,
                )
                tx.save(task, condition=FanoutTask.job_id.does_not_exist())

    return write_once(write)


def _announced_ms() -> int:
    # The announcement's own time in milliseconds, not the item's publish time (whole
    # seconds): notifications sort by id, and one made later in the same second (a
    # reply) must not sort before it. Stored in the tasks, so every shard and every
    # replayed page uses the same value.
    return int(_now() * 1000)


def fanout_enqueue_video_published(*, video) -> bool:
    """Reaction to VIDEO_PUBLISHED: a "video" job (feed entries and notifications)."""
    channel = channel_get(video.channel_id)
    if channel is None:
        return False
    return fanout_enqueue(
        kind=VIDEO,
        subject_id=video.video_id,
        channel_id=video.channel_id,
        text=f"{channel.name} published “{video.title}”",
        link=f"/watch/{video.video_id}/",
        published_ms=_announced_ms(),
    )


def fanout_enqueue_stream_started(*, session, channel) -> bool:
    """Reaction to STREAM_STARTED: a "live" job (notifications only)."""
    return fanout_enqueue(
        kind=LIVE,
        subject_id=session.stream_id,
        channel_id=session.channel_id,
        text=f"{channel.name} is live: {session.title}",
        link=f"/live/{session.stream_id}/",
        published_ms=_announced_ms(),
    )


# --- Work ------------------------------------------------------------------------------


def _open_candidates(*, now: float, wanted: int) -> list[FanoutTask]:
    """Open tasks nobody holds, from every open-index partition (one Query each, keys
    and lease expiry only), oldest job first. Shuffled within each run of
    SUBSCRIBER_SHARDS (about one job's tasks), so workers starting together spread over
    a job's shards instead of all racing for the same task."""
    partitions = all_shards(FANOUT_OPEN, FANOUT_OPEN_SHARDS)
    free = FanoutTask.lease_expires_at.does_not_exist() | (FanoutTask.lease_expires_at < now)
    found: list[FanoutTask] = []
    for partition in partitions:
        found.extend(
            FanoutTask.open_index.query(
                partition,
                filter_condition=free,
                limit=wanted,
                page_size=wanted,
            )
        )
    found.sort(key=lambda task: task.open_since or 0)
    spread: list[FanoutTask] = []
    for start in range(0, len(found), SUBSCRIBER_SHARDS):
        window = found[start : start + SUBSCRIBER_SHARDS]
        random.shuffle(window)
        spread += window
    return spread


def _claim(stub: FanoutTask, *, worker_id: str, now: float, lease_s: float) -> FanoutTask | None:
    """Take a task: only while it is open and nobody holds an unexpired lease on it, so
    two workers never run the same shard at once. Returns the task as it now stands
    (its cursor is the last checkpoint), or None when someone else has it."""
    task = FanoutTask(stub.job_id, stub.shard)
    free = FanoutTask.lease_expires_at.does_not_exist() | (FanoutTask.lease_expires_at < now)
    try:
        task.update(
            actions=[
                FanoutTask.lease_owner.set(worker_id),
                FanoutTask.lease_expires_at.set(now + lease_s),
                FanoutTask.attempts.add(1),
            ],
            condition=(FanoutTask.status == OPEN) & free,
        )
    except PynamoDBException as error:
        if condition_failed(error):
            return None
        raise
    if task.attempts > ATTEMPTS_WARNING:
        logger.warning(
            "fan-out task %s/%s claimed %s times", task.job_id, task.shard, task.attempts
        )
    return task


def _checkpoint(
    task: FanoutTask,
    *,
    worker_id: str,
    cursor: str | None,
    handled: int,
    done: bool,
    lease_s: float,
) -> None:
    """Record the last subscriber done (and renew the lease), or close the task. Only
    the lease holder may: a worker whose lease ran out and was taken over stops here."""
    now = _now()
    actions = [FanoutTask.delivered.add(handled)]
    if cursor is not None:
        actions.append(FanoutTask.cursor.set(cursor))
    if done:
        actions += [
            FanoutTask.status.set(DONE),
            FanoutTask.finished_at.set(int(now)),
            FanoutTask.expires_at.set(int(now) + DONE_TTL_S),
            FanoutTask.lease_expires_at.remove(),
            # Out of the open index: nobody looks at it again.
            FanoutTask.open_partition.remove(),
            FanoutTask.open_since.remove(),
        ]
    else:
        actions.append(FanoutTask.lease_expires_at.set(now + lease_s))
    try:
        task.update(
            actions=actions,
            condition=(FanoutTask.status == OPEN) & (FanoutTask.lease_owner == worker_id),
        )
    except PynamoDBException as error:
        if condition_failed(error):
            raise LeaseLost(f"{task.job_id}/{task.shard}") from None
        raise


def _release(task: FanoutTask, *, worker_id: str) -> None:
    """Hand a task back at its checkpoint (a worker stopping), so another worker can
    resume it now instead of after the lease."""
    try:
        task.update(
            actions=[FanoutTask.lease_expires_at.remove()],
            condition=(FanoutTask.status == OPEN) & (FanoutTask.lease_owner == worker_id),
        )
    except PynamoDBException as error:
        if not condition_failed(error):
            raise


def _subscriber_page(task: FanoutTask, *, after: str | None, size: int) -> list[Subscriber]:
    """The next ``size`` subscribers of the task's partition after ``after`` (one Query).
    The start key is rebuilt from the cursor: the index key plus the table key."""
    partition = f"{task.channel_id}#{task.shard}"
    start = None
    if after is not None:
        start = {
            "channel_shard": {"S": partition},
            "user_id": {"S": after},
            "channel_id": {"S": task.channel_id},
        }
    rows = Subscription.channel_shard_index.query(
        partition, limit=size, page_size=size, last_evaluated_key=start
    )
    return [Subscriber(user_id=row.user_id, notify=row.notify or "all") for row in rows]


def _video_deliverable(video_id: str) -> tuple[bool, int | None]:
    """Whether subscribers should still hear of the video (ready, public, owner in good
    standing), and its publish time (the feed entry's key)."""
    video = video_get(video_id, consistent=True)
    if video is None:
        return False, None
    ok = (
        video.status == VideoStatus.READY
        and video.visibility == Visibility.PUBLIC
        and not video.owner_banned
    )
    return ok, video.published_at


def _stream_deliverable(stream_id: str) -> bool:
    """Whether subscribers should still hear "is live": only while it is."""
    session = session_get(stream_id, consistent=True)
    return session is not None and session.status == LiveStatus.LIVE


def _run_task(
    task: FanoutTask,
    *,
    worker_id: str,
    lease_s: float,
    tally: FanoutTally,
    should_stop: Callable[[], bool],
) -> None:
    """Walk the task's partition from its checkpoint to the end, a page at a time."""
    cursor = task.cursor
    page_size = FANOUT_PAGE_SIZE
    while True:
        if should_stop():
            _release(task, worker_id=worker_id)
            raise Stopped
        page = _subscriber_page(task, after=cursor, size=page_size)
        last = len(page) < page_size
        if not page:
            _checkpoint(
                task, worker_id=worker_id, cursor=None, handled=0, done=True, lease_s=lease_s
            )
            return
        feed_published_at = None
        if task.kind == LIVE and not _stream_deliverable(task.subject_id):
            # Ended meanwhile (or its owner banned, which ends it): nobody is told.
            _checkpoint(
                task, worker_id=worker_id, cursor=None, handled=0, done=True, lease_s=lease_s
            )
            return
        if task.kind == VIDEO:
            # Read again for every page: a video taken down or made private during its
            # fan-out stops reaching people within a page.
            deliverable, feed_published_at = _video_deliverable(task.subject_id)
            if not deliverable:
                _checkpoint(
                    task, worker_id=worker_id, cursor=None, handled=0, done=True, lease_s=lease_s
                )
                return
        delivery = FanoutDelivery(
            job_id=task.job_id,
            kind=task.kind,
            channel_id=task.channel_id,
            subject_id=task.subject_id,
            text=task.text,
            link=task.link,
            published_ms=int(task.published_ms),
            feed_published_at=feed_published_at,
        )
        tally.batch_requests += fanout_page_deliver(delivery=delivery, subscribers=page)
        cursor = page[-1].user_id
        # Written after the page: a crash in between repeats the page, which overwrites
        # the same items; a crash after it resumes with the next page.
        _checkpoint(
            task, worker_id=worker_id, cursor=cursor, handled=len(page), done=last, lease_s=lease_s
        )
        tally.subscribers += len(page)
        if last:
            return


def fanout_run_once(
    *,
    worker_id: str,
    limit: int = SUBSCRIBER_SHARDS,
    lease_s: float | None = None,
    tally: FanoutTally | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> int:
    """Claim and finish up to ``limit`` open fan-out tasks. Returns how many were
    finished (0: nothing to do right now).

    A task whose delivery fails raises out of here with its lease held: it is resumed
    from its last checkpoint once the lease runs out (by this worker or another). When
    ``should_stop()`` turns true, the task in hand is handed back at its checkpoint
    after the current page and nothing more is claimed.
    """
    lease_s = FANOUT_LEASE_S if lease_s is None else lease_s
    tally = tally if tally is not None else FanoutTally()
    should_stop = should_stop or (lambda: False)
    finished = 0
    for stub in _open_candidates(now=_now(), wanted=max(limit, CANDIDATES_PER_PARTITION)):
        if finished >= limit or should_stop():
            break
        task = _claim(stub, worker_id=worker_id, now=_now(), lease_s=lease_s)
        if task is None:
            continue
        try:
            _run_task(
                task, worker_id=worker_id, lease_s=lease_s, tally=tally, should_stop=should_stop
            )
        except Stopped:
            break
        except LeaseLost:
            logger.info("fan-out task %s/%s taken over by another worker", task.job_id, task.shard)
            continue
        finished += 1
        tally.tasks += 1
    return finished
