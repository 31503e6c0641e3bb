"""Uploads: a video is created ``uploading`` with the way its file goes straight to
storage (a presigned POST, or from UPLOAD_MULTIPART_MIN_BYTES up a resumable multipart
upload); the browser's "complete" is checked against what storage holds, and an upload
nobody finished is settled by reconcile."""

import re
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from channels_app.selectors import channel_get
from videoplatform import storage
from videoplatform.dynamodb import new_id, now_s
from videoplatform.errors import ApplicationError, PermissionDenied
from videoplatform.ratelimit import enforce
from videos_app.keys import raw_key, source_key_of
from videos_app.models import PENDING_STATUSES, Video, VideoStatus
from videos_app.permissions import require_owner
from videos_app.publishing import clean_details
from videos_app.states import not_pending_actions, pending_actions, set_pending, transition
from videos_app.transcode_jobs import video_submit

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
        raise PermissionDenied(_("Log in to upload videos."))
    if actor.is_banned:
        raise PermissionDenied(_("This account is suspended."))
    channel = channel_get(channel_id or "")
    if channel is None or channel.owner_user_id != actor.user_id:
        raise ApplicationError(_("Choose one of your channels."), field="channel_id")
    title, description, visibility = clean_details(title, description, visibility)
    enforce(
        f"upload#{actor.user_id}",
        limit=settings.UPLOADS_PER_HOUR,
        window_s=3600,
        message=_("You have started many uploads recently. Try again later."),
    )
    if size is None or size <= 0:
        raise ApplicationError(_("The file is empty."), field="file")
    if size > settings.VIDEO_MAX_BYTES:
        raise ApplicationError(
            _("The file is too big: the limit is %(limit)s MB.")
            % {"limit": settings.VIDEO_MAX_BYTES // 1024**2},
            field="file",
        )
    content_type = (content_type or "").strip().lower()
    if not content_type.startswith("video/"):
        if content_type:
            raise ApplicationError(_("That file is not a video."), field="file")
        content_type = "video/octet-stream"  # browsers leave some containers untyped
    if not re.fullmatch(r"video/[a-z0-9.+-]{1,60}", content_type):
        raise ApplicationError(_("That file is not a video."), field="file")

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
    require_owner(actor, video)
    if video.status != VideoStatus.UPLOADING or not video.upload_id:
        raise ApplicationError(_("This video is not waiting for an upload."))
    expected = expected_parts(video)
    if len(numbers) > PART_URLS_PER_REQUEST or any(n not in expected for n in numbers):
        raise ApplicationError(
            _("Ask for at most %(most)s parts, numbered 1 to %(last)s.")
            % {"most": PART_URLS_PER_REQUEST, "last": len(expected)}
        )
    stored = _stored_parts(video)
    if stored is None:
        raise ApplicationError(_("This upload has expired. Please upload the file again."))
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
            _(
                "The upload is incomplete: %(missing)s of %(total)s parts "
                "are missing. Choose the same file again to resume it."
            )
            % {"missing": len(missing), "total": len(expected)}
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
    require_owner(actor, video)
    return _accept_upload(video)


def _accept_upload(video: Video) -> Video:
    if video.status != VideoStatus.UPLOADING:
        if video.status in PENDING_STATUSES or video.status == VideoStatus.READY:
            return video  # a repeated "complete" from the browser changes nothing
        raise ApplicationError(_("This video is not waiting for an upload."))
    if video.upload_id:
        _complete_multipart(video)
    stored = storage.head_object(bucket=settings.S3_RAW_BUCKET, key=raw_key(video.video_id))
    if stored is None:
        raise ApplicationError(_("The upload did not arrive. Please upload the file again."))
    if stored.size == 0:
        _fail_upload(video, "The file is empty.")
        raise ApplicationError(_("The file is empty."))
    if stored.size > settings.VIDEO_MAX_BYTES:
        _fail_upload(video, "The file is too big.")
        raise ApplicationError(_("The file is too big."))
    moved = transition(
        video,
        from_statuses=[VideoStatus.UPLOADING],
        actions=[
            *pending_actions(video, VideoStatus.UPLOADED),
            Video.source_bytes.set(stored.size),
        ],
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
    return transition(
        video,
        from_statuses=[VideoStatus.UPLOADING],
        actions=[
            Video.status.set(str(VideoStatus.FAILED)),
            Video.status_reason.set(reason),
            *not_pending_actions(),
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
