"""The status state machine's building blocks: every move is a conditional update
that names the statuses it may leave, so a late, replayed or out-of-order event can
never move a video backwards or out of a final state."""

from pynamodb.exceptions import UpdateError

from videoplatform.dynamodb import condition_failed, now_s
from videos_app.models import PENDING, UPLOADING, Video, VideoStatus, pending_shard_of


def transition(video: Video, *, from_statuses, actions, extra_condition=None) -> bool:
    """Apply ``actions`` only if the video is still in one of ``from_statuses``."""
    condition = Video.status.is_in(*[str(s) for s in from_statuses])
    if extra_condition is not None:
        condition = condition & extra_condition
    try:
        video.update(actions=actions, condition=condition)
    except UpdateError as error:
        if condition_failed(error):
            return False
        raise
    return True


def pending_partition_of(status: VideoStatus, video_id: str) -> str:
    # Uploads waiting for their file have their own partitions of the pending index.
    name = UPLOADING if status == VideoStatus.UPLOADING else PENDING
    return pending_shard_of(name, video_id)


def pending_actions(video: Video, status: VideoStatus) -> list:
    """Set a status that keeps the video in the pending index, under its partition."""
    return [
        Video.status.set(str(status)),
        Video.pending_partition.set(pending_partition_of(status, video.video_id)),
        Video.pending_since.set(now_s()),
    ]


def set_pending(video: Video, status: VideoStatus, *, since: int | None = None) -> None:
    """The same for a Video not saved yet: it is created already in the pending index."""
    video.status = str(status)
    video.pending_partition = pending_partition_of(status, video.video_id)
    video.pending_since = now_s() if since is None else since


def not_pending_actions() -> list:
    return [Video.pending_partition.remove(), Video.pending_since.remove()]
