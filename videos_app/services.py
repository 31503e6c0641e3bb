"""Writes for videos, by concern: the one module each view and command calls.

Only ``videos_app`` writes Video items, and within it each concern has its module:
``uploads`` (creating a video and receiving its file), ``transcode_jobs`` (the
transcoder, a worker's lease, job events, reconcile), ``publishing`` (the listings and
every change that moves a video in or out of them, moderators' included), ``replays``
(a live recording made a video) and ``states`` (the conditional status moves they all
use). This module names what the rest of the project calls.
"""

from videos_app.publishing import (
    DESCRIPTION_MAX,
    TITLE_MAX,
    video_delete,
    video_publish,
    video_put_back,
    video_set_in_review,
    video_take_down,
    video_update,
    videos_set_owner_banned,
)
from videos_app.replays import video_create_replay
from videos_app.transcode_jobs import (
    video_apply_transcode_event,
    video_claim,
    video_fail,
    video_queue,
    video_reconcile,
    video_release,
    video_renew_lease,
    video_requeue_expired,
    video_retry,
    video_submit,
)
from videos_app.uploads import (
    PART_URLS_PER_REQUEST,
    MultipartUpload,
    expected_parts,
    video_create_upload,
    video_mark_uploaded,
    video_settle_unfinished_upload,
    video_upload_parts,
)

__all__ = [
    "DESCRIPTION_MAX",
    "PART_URLS_PER_REQUEST",
    "TITLE_MAX",
    "MultipartUpload",
    "expected_parts",
    "video_apply_transcode_event",
    "video_claim",
    "video_create_replay",
    "video_create_upload",
    "video_delete",
    "video_fail",
    "video_mark_uploaded",
    "video_publish",
    "video_put_back",
    "video_queue",
    "video_reconcile",
    "video_release",
    "video_renew_lease",
    "video_requeue_expired",
    "video_retry",
    "video_set_in_review",
    "video_settle_unfinished_upload",
    "video_submit",
    "video_take_down",
    "video_update",
    "video_upload_parts",
    "videos_set_owner_banned",
]
