"""Nothing waits for ever: uploads nobody finished are settled by reconcile_transcodes,
and a pending video a moderator restores goes back where the worker finds it."""

import io

import pytest
import requests
from django.core.management import call_command

from channels_app.accounts import user_set_role
from channels_app.models import Role
from conftest import make_user
from social_app import moderation
from videoplatform import storage
from videos_app import services, uploads
from videos_app.models import PENDING, UPLOADING, Video, VideoStatus
from videos_app.selectors import queued_videos, video_get
from videos_app.tests.factories import make_uploaded_video, post_to_storage, start_upload
from videos_app.tests.media_samples import make_sample

MIB = 1024 * 1024


def long_ago(video: Video) -> None:
    """As if the upload had begun in 1970, far past UPLOAD_ABANDONED_AFTER_S."""
    video.update(actions=[Video.pending_since.set(1)])


def reconcile(*args: str) -> str:
    out = io.StringIO()
    call_command("reconcile_transcodes", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    path = make_sample(
        str(tmp_path_factory.mktemp("unfinished") / "s.mp4"), width=320, height=240, seconds=1
    )
    with open(path, "rb") as handle:
        return path, handle.read()


def test_a_new_upload_waits_under_its_own_partition(user, channel):
    """An upload in progress is in the pending index as "uploading", never as queued work."""
    video, _ = start_upload(actor=user, channel=channel, size=1000)
    stored = video_get(video.video_id, consistent=True)
    assert stored.pending_partition.startswith(UPLOADING + "#")
    assert stored.pending_since == stored.created_at


def test_a_file_that_arrived_without_its_complete_goes_on(user, channel, sample):
    """The file reached storage but the browser never said so: the sweep submits it."""
    _, data = sample
    video, post = start_upload(actor=user, channel=channel, size=len(data))
    assert post_to_storage(post, data).status_code in (200, 201, 204)
    long_ago(video)
    out = reconcile("--dry-run")
    assert f"{video.video_id} [uploading] -> submitted: the file had arrived" in out
    assert video_get(video.video_id, consistent=True).status == VideoStatus.UPLOADING

    out = reconcile()
    assert f"{video.video_id} [uploading] -> submitted: the file had arrived" in out
    after = video_get(video.video_id, consistent=True)
    assert after.status == VideoStatus.QUEUED and after.pending_partition.startswith(PENDING + "#")
    services.video_delete(actor=user, video=after)


def test_an_upload_that_never_finished_fails_and_its_parts_go(user, channel, settings):
    """One part of three arrived a week ago: the video fails with a reason, storage drops
    the part, and the video leaves the index."""
    settings.UPLOAD_MULTIPART_MIN_BYTES = MIB
    settings.UPLOAD_PART_BYTES = 5 * MIB
    video, _ = start_upload(actor=user, channel=channel, size=11 * MIB)
    urls, _ = services.video_upload_parts(actor=user, video=video, numbers=[1])
    assert requests.put(urls[1], data=b"x" * 5 * MIB, timeout=30).status_code == 200
    long_ago(video)
    out = reconcile()
    assert f"{video.video_id} [uploading] -> failed: upload never finished" in out
    after = video_get(video.video_id, consistent=True)
    assert after.status == VideoStatus.FAILED
    assert after.status_reason == uploads.UNFINISHED_UPLOAD_REASON
    assert after.pending_partition is None
    bucket = storage.settings.S3_RAW_BUCKET
    assert (
        storage.multipart_parts(bucket=bucket, key=after.source_key, upload_id=after.upload_id)
        is None
    )


def test_a_recent_upload_is_left_alone(user, channel):
    """An upload that began a moment ago is not touched, however unfinished."""
    video, _ = start_upload(actor=user, channel=channel, size=1000)
    out = reconcile()
    assert video.video_id not in out
    assert video_get(video.video_id, consistent=True).status == VideoStatus.UPLOADING


def test_a_restored_queued_video_is_claimable_again(user, channel, sample):
    """A video removed while queued and then restored is back in the pending index, so
    the worker can claim it (before, it stayed queued out of the worker's sight)."""
    path, _ = sample
    moderator = make_user()
    user_set_role(user=moderator, role=Role.MODERATOR, granted=True)
    video = make_uploaded_video(actor=user, channel=channel, path=path)
    assert video.status == VideoStatus.QUEUED
    moderation.video_remove(moderator=moderator, video_id=video.video_id, reason="Checking it")
    assert video_get(video.video_id, consistent=True).pending_partition is None
    moderation.video_restore(moderator=moderator, video_id=video.video_id, reason="It is fine")
    restored = video_get(video.video_id, consistent=True)
    assert restored.status == VideoStatus.QUEUED
    assert restored.pending_partition.startswith(PENDING + "#")
    queued = [v.video_id for v in queued_videos(limit=1000)]
    assert video.video_id in queued
    services.video_delete(actor=user, video=restored)
