"""Writes for videos: upload, transcode state, publishing, edits, deletion.

Every status change is a conditional update naming the statuses it may leave, so a
late, replayed or out-of-order event can never move a video backwards or out of a
final state.
"""

import logging
import re
from dataclasses import dataclass

from django.conf import settings
from pynamodb.exceptions import TransactWriteError, UpdateError

from channels_app.models import Channel
from channels_app.selectors import channel_get
from channels_app.services import clean_text
from videoplatform import storage
from videoplatform.dynamodb import condition_failed, new_id, now_s, transaction
from videoplatform.errors import ApplicationError, PermissionDenied
from videoplatform.ratelimit import enforce
from videos_app.models import (
    FEED_PARTITION,
    PENDING_PARTITION,
    PENDING_STATUSES,
    UPLOADING_PARTITION,
    Video,
    VideoStatus,
    Visibility,
)

logger = logging.getLogger(__name__)

TITLE_MAX = 100
DESCRIPTION_MAX = 5000
SOURCE_NAME = "source"


# S3's limits for a multipart upload: at most 10,000 parts, each at least 5 MiB but
# the last.
MAX_PARTS = 10_000
MIN_PART_BYTES = 5 * 1024**2
PART_URLS_PER_REQUEST = 50


@dataclass(frozen=True)
class MultipartUpload:
    """A large file's upload: the browser PUTs `parts` parts of `part_bytes` (the last
    one shorter) to URLs it asks for as it goes."""

    part_bytes: int
    parts: int


def raw_key(video_id: str) -> str:
    return f"raw/{video_id}/{SOURCE_NAME}"


def source_key_of(video: Video) -> str:
    """Where the original is in the raw bucket (a live recording keeps its own key)."""
    return video.source_key or raw_key(video.video_id)


def hls_prefix(video_id: str) -> str:
    return f"hls/{video_id}/"


def can_manage(actor, video: Video) -> bool:
    return bool(
        getattr(actor, "is_authenticated", False)
        and (actor.user_id == video.owner_user_id or actor.is_staff)
    )


def require_manager(actor, video: Video) -> None:
    if not can_manage(actor, video):
        raise PermissionDenied("You cannot change this video.")


def _clean_visibility(value: str) -> Visibility:
    try:
        return Visibility(value)
    except ValueError:
        raise ApplicationError("Choose public, unlisted or private.", field="visibility") from None


def _clean_meta(title: str, description: str, visibility: str):
    return (
        clean_text(title, field="title", label="Title", max_length=TITLE_MAX, required=True),
        clean_text(
            description,
            field="description",
            label="Description",
            max_length=DESCRIPTION_MAX,
            required=False,
        ),
        _clean_visibility(visibility),
    )


def _transition(video: Video, *, from_statuses, actions, extra_condition=None) -> bool:
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


def _pending_partition(status: VideoStatus) -> str:
    # Uploads waiting for their file have their own partition of the pending index.
    return UPLOADING_PARTITION if status == VideoStatus.UPLOADING else PENDING_PARTITION


def pending_actions(status: VideoStatus) -> list:
    """Set a status that keeps the video in the pending index, under its partition."""
    return [
        Video.status.set(str(status)),
        Video.pending_partition.set(_pending_partition(status)),
        Video.pending_since.set(now_s()),
    ]


def set_pending(video: Video, status: VideoStatus, *, since: int | None = None) -> None:
    """The same for a Video not saved yet: it is created already in the pending index."""
    video.status = str(status)
    video.pending_partition = _pending_partition(status)
    video.pending_since = now_s() if since is None else since


def _not_pending_actions() -> list:
    return [Video.pending_partition.remove(), Video.pending_since.remove()]


def _unpublish_actions() -> list:
    return [Video.public_channel_id.remove(), Video.feed_partition.remove()]


# --- Upload --------------------------------------------------------------------------


def video_create_upload(
    *,
    actor,
    channel_id: str,
    title: str,
    description: str,
    visibility: str,
    content_type: str,
    size: int,
) -> tuple[Video, storage.PresignedPost | MultipartUpload]:
    """Create the Video (``uploading``) and the way its file goes to exactly its source
    key: a presigned POST, or from UPLOAD_MULTIPART_MIN_BYTES up a multipart upload."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("Log in to upload videos.")
    if actor.is_banned:
        raise PermissionDenied("This account is suspended.")
    channel = channel_get(channel_id or "")
    if channel is None or channel.owner_user_id != actor.user_id:
        raise ApplicationError("Choose one of your channels.", field="channel_id")
    title, description, visibility = _clean_meta(title, description, visibility)
    enforce(
        f"upload#{actor.user_id}",
        limit=settings.UPLOADS_PER_HOUR,
        window_s=3600,
        message="You have started many uploads recently. Try again later.",
    )
    if size is None or size <= 0:
        raise ApplicationError("The file is empty.", field="file")
    if size > settings.VIDEO_MAX_BYTES:
        raise ApplicationError(
            f"The file is too big: the limit is {settings.VIDEO_MAX_BYTES // 1024**2} MB.",
            field="file",
        )
    content_type = (content_type or "").strip().lower()
    if not content_type.startswith("video/"):
        if content_type:
            raise ApplicationError("That file is not a video.", field="file")
        content_type = "video/octet-stream"  # browsers leave some containers untyped
    if not re.fullmatch(r"video/[a-z0-9.+-]{1,60}", content_type):
        raise ApplicationError("That file is not a video.", field="file")

    video = Video(
        new_id(),
        channel_id=channel.channel_id,
        owner_user_id=actor.user_id,
        title=title,
        description=description,
        visibility=str(visibility),
        status=str(VideoStatus.UPLOADING),
        created_at=now_s(),
        source_key=None,
    )
    set_pending(video, VideoStatus.UPLOADING, since=video.created_at)
    video.source_key = raw_key(video.video_id)
    if size >= settings.UPLOAD_MULTIPART_MIN_BYTES:
        part_bytes = _part_bytes(size)
        video.upload_id = storage.multipart_start(
            bucket=settings.S3_RAW_BUCKET, key=video.source_key, content_type=content_type
        )
        video.upload_part_bytes, video.upload_bytes = part_bytes, size
        try:
            video.save(condition=Video.video_id.does_not_exist())
        except Exception:
            storage.multipart_abort(
                bucket=settings.S3_RAW_BUCKET, key=video.source_key, upload_id=video.upload_id
            )
            raise
        return video, MultipartUpload(part_bytes=part_bytes, parts=len(expected_parts(video)))
    video.save(condition=Video.video_id.does_not_exist())
    post = storage.presigned_post(
        bucket=settings.S3_RAW_BUCKET,
        key=video.source_key,
        content_type=content_type,
        type_prefix="video/",
        max_bytes=settings.VIDEO_MAX_BYTES,
    )
    return video, post


def _part_bytes(size: int) -> int:
    """The configured part size, grown (in whole MiB) when the file would need more
    than MAX_PARTS parts."""
    mib = 1024**2
    wanted = max(settings.UPLOAD_PART_BYTES, MIN_PART_BYTES, -(-size // MAX_PARTS))
    return -(-wanted // mib) * mib


def expected_parts(video: Video) -> dict[int, int]:
    """Part number -> size, as the declared size and part size fix them."""
    size, part = int(video.upload_bytes), int(video.upload_part_bytes)
    count = -(-size // part)
    return {n: min(part, size - (n - 1) * part) for n in range(1, count + 1)}


def video_upload_parts(
    *, actor, video: Video, numbers: list[int]
) -> tuple[dict[int, str], list[int]]:
    """Signed PUT URLs for the asked parts, and the parts storage already holds whole
    (so a resumed upload skips them)."""
    require_manager(actor, video)
    if video.status != VideoStatus.UPLOADING or not video.upload_id:
        raise ApplicationError("This video is not waiting for an upload.")
    expected = expected_parts(video)
    if len(numbers) > PART_URLS_PER_REQUEST or any(n not in expected for n in numbers):
        raise ApplicationError(
            f"Ask for at most {PART_URLS_PER_REQUEST} parts, numbered 1 to {len(expected)}."
        )
    stored = _stored_parts(video)
    if stored is None:
        raise ApplicationError("This upload has expired. Please upload the file again.")
    missing = set(_missing_parts(video, stored))
    done = [n for n in expected if n not in missing]
    urls = {
        n: storage.multipart_part_url(
            bucket=settings.S3_RAW_BUCKET,
            key=source_key_of(video),
            upload_id=video.upload_id,
            number=n,
            size=expected[n],
        )
        for n in numbers
    }
    return urls, done


def _complete_multipart(video: Video) -> None:
    """Join the stored parts into the source object once every part is there whole.
    A missing or short part changes nothing: the browser can resume the upload."""
    stored = _stored_parts(video)
    if stored is None:
        return  # an earlier "complete" joined it, or it expired: the HEAD that follows tells
    expected = expected_parts(video)
    missing = _missing_parts(video, stored)
    if missing:
        raise ApplicationError(
            f"The upload is incomplete: {len(missing)} of {len(expected)} parts "
            "are missing. Choose the same file again to resume it."
        )
    whole = {p.number: p for p in stored}
    storage.multipart_complete(
        bucket=settings.S3_RAW_BUCKET,
        key=source_key_of(video),
        upload_id=video.upload_id,
        parts=[whole[n] for n in expected],
    )


def _stored_parts(video: Video) -> list[storage.StoredPart] | None:
    return storage.multipart_parts(
        bucket=settings.S3_RAW_BUCKET, key=source_key_of(video), upload_id=video.upload_id
    )


def _missing_parts(video: Video, stored: list[storage.StoredPart]) -> list[int]:
    """The part numbers storage does not hold at their expected size."""
    expected = expected_parts(video)
    whole = {p.number for p in stored if expected.get(p.number) == p.size}
    return [n for n in expected if n not in whole]


def video_mark_uploaded(*, actor, video: Video) -> Video:
    """The browser says the upload finished: verify the object, then submit it."""
    require_manager(actor, video)
    return _accept_upload(video)


def _accept_upload(video: Video) -> Video:
    if video.status != VideoStatus.UPLOADING:
        if video.status in PENDING_STATUSES or video.status == VideoStatus.READY:
            return video  # a repeated "complete" from the browser changes nothing
        raise ApplicationError("This video is not waiting for an upload.")
    if video.upload_id:
        _complete_multipart(video)
    stored = storage.head_object(bucket=settings.S3_RAW_BUCKET, key=raw_key(video.video_id))
    if stored is None:
        raise ApplicationError("The upload did not arrive. Please upload the file again.")
    if stored.size == 0:
        _fail_upload(video, "The file is empty.")
        raise ApplicationError("The file is empty.")
    if stored.size > settings.VIDEO_MAX_BYTES:
        _fail_upload(video, "The file is too big.")
        raise ApplicationError("The file is too big.")
    moved = _transition(
        video,
        from_statuses=[VideoStatus.UPLOADING],
        actions=[*pending_actions(VideoStatus.UPLOADED), Video.source_bytes.set(stored.size)],
    )
    if not moved:
        video.refresh()
        return video
    return video_submit(video=video)


def _fail_upload(video: Video, reason: str) -> bool:
    if video.upload_id:
        storage.multipart_abort(
            bucket=settings.S3_RAW_BUCKET, key=raw_key(video.video_id), upload_id=video.upload_id
        )
    storage.delete_object(bucket=settings.S3_RAW_BUCKET, key=raw_key(video.video_id))
    return _transition(
        video,
        from_statuses=[VideoStatus.UPLOADING],
        actions=[
            Video.status.set(str(VideoStatus.FAILED)),
            Video.status_reason.set(reason),
            *_not_pending_actions(),
        ],
    )


UNFINISHED_UPLOAD_REASON = "The upload was never finished. Delete this video and upload it again."


def video_settle_unfinished_upload(*, video: Video, dry_run: bool = False) -> str:
    """An upload still ``uploading`` long after it began (UPLOAD_ABANDONED_AFTER_S).
    If the whole file did arrive and only the browser's "complete" was lost, it goes on
    to transcoding; otherwise the video fails with a reason and what was stored goes."""
    if video.status != VideoStatus.UPLOADING:
        return "not uploading any more"
    stored = _stored_parts(video) if video.upload_id else None
    if stored is not None:
        arrived = not _missing_parts(video, stored)
    else:  # a single POST, or a multipart upload already joined into the object
        head = storage.head_object(bucket=settings.S3_RAW_BUCKET, key=raw_key(video.video_id))
        arrived = head is not None and 0 < head.size <= settings.VIDEO_MAX_BYTES
    if dry_run:
        return "submitted: the file had arrived" if arrived else "failed: upload never finished"
    if arrived:
        try:
            _accept_upload(video)
            return "submitted: the file had arrived"
        except ApplicationError as error:
            return f"left: {error.message}"
    if not _fail_upload(video, UNFINISHED_UPLOAD_REASON):
        return "changed meanwhile"
    return "failed: upload never finished"


def video_submit(*, video: Video) -> Video:
    """Hand an uploaded video to the transcoder backend."""
    from videos_app.transcoding.backends import get_transcoder

    get_transcoder().submit(video=video)
    video.refresh()
    return video


def video_retry(*, actor, video: Video) -> Video:
    """Transcode a failed video again from its stored source."""
    require_manager(actor, video)
    if video.status != VideoStatus.FAILED:
        raise ApplicationError("Only a failed video can be retried.")
    if storage.head_object(bucket=settings.S3_RAW_BUCKET, key=source_key_of(video)) is None:
        raise ApplicationError("The original file is gone; delete this video and upload it again.")
    moved = _transition(
        video,
        from_statuses=[VideoStatus.FAILED],
        actions=[
            *pending_actions(VideoStatus.UPLOADED),
            Video.status_reason.remove(),
            Video.attempts.set(0),
            Video.job_id.remove(),
            Video.progress.set(0),
        ],
    )
    if not moved:
        raise ApplicationError("This video changed meanwhile; reload the page.")
    return video_submit(video=video)


# --- Edits and deletion --------------------------------------------------------------


def video_update(*, actor, video: Video, title: str, description: str, visibility: str) -> Video:
    require_manager(actor, video)
    if video.status == VideoStatus.REMOVED:
        raise ApplicationError("A removed video cannot be edited.")
    title, description, visibility = _clean_meta(title, description, visibility)
    actions = [
        Video.title.set(title),
        Video.description.set(description),
        Video.visibility.set(str(visibility)),
    ]
    was_listed = bool(video.feed_partition)
    will_list = visibility == Visibility.PUBLIC and video.status == VideoStatus.READY
    if will_list and not was_listed:
        actions += _publish_actions(video)
    elif was_listed and not will_list:
        actions += _unpublish_actions()
    delta = int(will_list) - int(was_listed)
    try:
        with transaction() as tx:
            tx.update(video, actions=actions, condition=Video.status == video.status)
            if delta:
                tx.update(
                    Channel(video.channel_id),
                    actions=[Channel.video_count.add(delta)],
                    condition=Channel.channel_id.exists(),
                )
    except TransactWriteError as error:
        if condition_failed(error):
            raise ApplicationError("This video changed meanwhile; reload the page.") from None
        raise
    video.refresh()
    return video


def video_delete(*, actor, video: Video) -> None:
    """Delete the video, its source and its media.

    The files go first: if storage is down nothing is deleted and the video stays,
    so the creator can retry; a file is never left behind without its video.
    """
    require_manager(actor, video)
    if video.upload_id and video.status == VideoStatus.UPLOADING:
        storage.multipart_abort(
            bucket=settings.S3_RAW_BUCKET, key=source_key_of(video), upload_id=video.upload_id
        )
    storage.delete_object(bucket=settings.S3_RAW_BUCKET, key=source_key_of(video))
    storage.delete_prefix(bucket=settings.S3_MEDIA_BUCKET, prefix=hls_prefix(video.video_id))
    was_listed = bool(video.feed_partition)
    try:
        with transaction() as tx:
            tx.delete(video, condition=Video.video_id.exists())
            if was_listed:
                tx.update(
                    Channel(video.channel_id),
                    actions=[Channel.video_count.add(-1)],
                    condition=Channel.channel_id.exists(),
                )
    except TransactWriteError as error:
        if condition_failed(error):
            return  # already gone
        raise


# --- Transcode job state -------------------------------------------------------------


def video_claim(*, video: Video, worker_id: str, job_id: str) -> bool:
    """Take a queued video for this worker with a lease (a conditional update)."""
    now = now_s()
    return _transition(
        video,
        from_statuses=[VideoStatus.QUEUED],
        actions=[
            Video.status.set(str(VideoStatus.PROCESSING)),
            Video.lease_owner.set(worker_id),
            Video.lease_expires_at.set(now + settings.TRANSCODE_LEASE_S),
            Video.attempts.add(1),
            Video.job_id.set(job_id),
            Video.progress.set(0),
        ],
    )


def video_renew_lease(*, video: Video, worker_id: str) -> bool:
    """Extend the lease; False when it was lost (requeued by reconcile)."""
    return _transition(
        video,
        from_statuses=[VideoStatus.PROCESSING],
        actions=[Video.lease_expires_at.set(now_s() + settings.TRANSCODE_LEASE_S)],
        extra_condition=Video.lease_owner == worker_id,
    )


def video_queue(*, video: Video, job_id: str | None = None) -> bool:
    """uploaded -> queued (the ffmpeg worker picks it up, or MediaConvert has the job)."""
    actions = pending_actions(VideoStatus.QUEUED)
    if job_id:
        actions.append(Video.job_id.set(job_id))
    return _transition(video, from_statuses=[VideoStatus.UPLOADED], actions=actions)


def video_requeue_expired(*, video: Video, now: int | None = None) -> bool:
    """A worker died holding the lease: put the video back in the queue."""
    now = now_s() if now is None else now
    return _back_to_queue(video, condition=Video.lease_expires_at < now)


def _back_to_queue(video: Video, *, condition, extra_actions=()) -> bool:
    """processing -> queued, the lease and job dropped, if ``condition`` holds."""
    return _transition(
        video,
        from_statuses=[VideoStatus.PROCESSING],
        actions=[
            *pending_actions(VideoStatus.QUEUED),
            Video.lease_owner.remove(),
            Video.lease_expires_at.remove(),
            Video.job_id.remove(),
            *extra_actions,
        ],
        extra_condition=condition,
    )


def video_release(*, video: Video, worker_id: str) -> bool:
    """A worker that is shutting down hands its video back to the queue at once, without
    counting the attempt; only while it still holds the lease."""
    return _back_to_queue(
        video, condition=Video.lease_owner == worker_id, extra_actions=[Video.attempts.add(-1)]
    )


def video_fail(*, video: Video, reason: str, from_statuses=PENDING_STATUSES) -> bool:
    return _transition(
        video,
        from_statuses=from_statuses,
        actions=[
            Video.status.set(str(VideoStatus.FAILED)),
            Video.status_reason.set(reason[:500]),
            *_not_pending_actions(),
            Video.lease_owner.remove(),
            Video.lease_expires_at.remove(),
        ],
    )


def _publish_actions(video: Video) -> list:
    return [
        Video.public_channel_id.set(video.channel_id),
        Video.feed_partition.set(FEED_PARTITION),
        Video.published_at.set(video.published_at or now_s()),
    ]


def video_mark_ready(*, video: Video, outputs: dict) -> bool:
    """A pending video's transcode finished: record its outputs and publish it."""
    actions = [
        Video.status.set(str(VideoStatus.READY)),
        Video.progress.set(100),
        *_not_pending_actions(),
        Video.lease_owner.remove(),
        Video.lease_expires_at.remove(),
        Video.status_reason.remove(),
        *_output_actions(outputs),
    ]
    listed = video.visibility == Visibility.PUBLIC
    if listed:
        actions += _publish_actions(video)
    else:
        actions.append(Video.published_at.set(now_s()))
    condition = Video.status.is_in(*[str(s) for s in PENDING_STATUSES])
    try:
        with transaction() as tx:
            tx.update(video, actions=actions, condition=condition)
            if listed:
                tx.update(
                    Channel(video.channel_id),
                    actions=[Channel.video_count.add(1)],
                    condition=Channel.channel_id.exists(),
                )
    except TransactWriteError as error:
        if condition_failed(error):
            return False
        raise
    if listed:
        _after_publish(video)
    return True


def _output_actions(outputs: dict) -> list:
    actions = []
    if outputs.get("playlist_key"):
        actions.append(Video.playlist_key.set(outputs["playlist_key"]))
    if outputs.get("poster_key"):
        actions.append(Video.poster_key.set(outputs["poster_key"]))
    if outputs.get("renditions"):
        actions.append(Video.renditions.set(outputs["renditions"]))
    if outputs.get("duration_s"):
        actions.append(Video.duration_s.set(outputs["duration_s"]))
    if outputs.get("width") and outputs.get("height"):
        actions += [Video.width.set(outputs["width"]), Video.height.set(outputs["height"])]
    return actions


def media_key_from_uri(uri: str) -> str | None:
    """``s3://<media bucket>/<key>`` -> key; anything else (another bucket) -> None."""
    prefix = f"s3://{settings.S3_MEDIA_BUCKET}/"
    if isinstance(uri, str) and uri.startswith(prefix):
        key = uri[len(prefix) :]
        if ".." not in key.split("/"):
            return key
    return None


def outputs_from_detail(detail: dict) -> dict:
    """Output locations from a MediaConvert-shaped ``outputGroupDetails``."""
    outputs: dict = {}
    renditions = []
    for group in detail.get("outputGroupDetails") or []:
        if not isinstance(group, dict):
            continue
        if group.get("type") == "HLS_GROUP":
            paths = group.get("playlistFilePaths") or []
            if paths:
                outputs["playlist_key"] = media_key_from_uri(paths[0])
            for output in group.get("outputDetails") or []:
                video_details = output.get("videoDetails") or {}
                height = video_details.get("heightInPx")
                width = video_details.get("widthInPx")
                if height:
                    renditions.append(f"{height}p")
                    if not outputs.get("height") or height > outputs["height"]:
                        outputs["height"], outputs["width"] = height, width
                if output.get("durationInMs"):
                    outputs["duration_s"] = round(output["durationInMs"] / 1000, 3)
        elif group.get("type") == "FILE_GROUP":
            for output in group.get("outputDetails") or []:
                paths = output.get("outputFilePaths") or []
                if paths:
                    outputs["poster_key"] = media_key_from_uri(paths[-1])
    if renditions:
        outputs["renditions"] = sorted(set(renditions), key=lambda r: int(r[:-1]))
    return {k: v for k, v in outputs.items() if v}


def video_apply_transcode_event(*, detail: dict, event: dict) -> bool:
    """Apply a "MediaConvert Job State Change" (from AWS or the local worker).

    Only events for the video's current job count; PROGRESSING never leaves a final
    state, COMPLETE and ERROR only leave pending states.
    """
    from videos_app.selectors import video_get

    metadata = detail.get("userMetadata") or {}
    video_id = metadata.get("video_id") if isinstance(metadata, dict) else None
    job_id = detail.get("jobId")
    status = detail.get("status")
    video = video_get(video_id) if isinstance(video_id, str) else None
    if video is None or not job_id or video.job_id != job_id:
        logger.info("transcode event for an unknown job ignored")
        return False
    if status == "PROGRESSING" or status == "STATUS_UPDATE":
        percent = detail.get("jobProgress", {}).get("jobPercentComplete")
        actions = [Video.status.set(str(VideoStatus.PROCESSING))]
        if isinstance(percent, int | float):
            actions.append(Video.progress.set(max(0, min(99, int(percent)))))
        actions += _output_actions(outputs_from_detail(detail))
        return _transition(
            video, from_statuses=[VideoStatus.QUEUED, VideoStatus.PROCESSING], actions=actions
        )
    if status == "COMPLETE":
        outputs = outputs_from_detail(detail)
        if not outputs.get("playlist_key"):
            return video_fail(video=video, reason="The transcoder produced no playlist.")
        return video_mark_ready(video=video, outputs=outputs)
    if status in {"ERROR", "CANCELED"}:
        reason = detail.get("errorMessage") or (
            "Transcoding was cancelled." if status == "CANCELED" else "Transcoding failed."
        )
        return video_fail(video=video, reason=str(reason))
    return False


def _after_publish(video: Video) -> None:
    """Hook for what follows publishing (subscriber notifications)."""
    try:
        from social_app.services import notify_video_published
    except ImportError:
        return
    notify_video_published(video_id=video.video_id)
