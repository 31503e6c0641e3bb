"""Large files go up as a multipart upload against the real S3 server: parts are
signed one by one, a missing part can be sent later, and the joined object is the file."""

import os

import pytest
import requests
from django.urls import reverse

from conftest import make_user, sign_in
from videoplatform import storage
from videoplatform.aws import s3_client
from videoplatform.errors import ApplicationError
from videos_app import services, uploads
from videos_app.models import VideoStatus
from videos_app.selectors import video_get
from videos_app.tests.factories import start_upload
from videos_app.tests.media_samples import make_sample
from videos_app.worker import TranscodeWorker

MIB = 1024 * 1024


@pytest.fixture
def multipart(settings):
    """Files of 1 MiB and up go multipart, in S3's smallest parts (5 MiB)."""
    settings.UPLOAD_MULTIPART_MIN_BYTES = MIB
    settings.UPLOAD_PART_BYTES = 5 * MIB


def put_part(url: str, data: bytes) -> requests.Response:
    return requests.put(url, data=data, timeout=30)


def part_urls(user, video, numbers):
    urls, done = services.video_upload_parts(actor=user, video=video, numbers=numbers)
    return urls, done


def raw_object(video) -> bytes:
    got = s3_client().get_object(Bucket=storage.settings.S3_RAW_BUCKET, Key=video.source_key)
    return got["Body"].read()


@pytest.fixture
def eleven_mib():
    return os.urandom(11 * MIB)


@pytest.mark.usefixtures("multipart")
class TestMultipartUpload:
    def test_parts_join_into_the_source_byte_for_byte(self, user, channel, eleven_mib):
        """11 MiB in parts of 5, 5 and 1 MiB: the stored source is the file, and it is queued."""
        video, plan = start_upload(actor=user, channel=channel, size=len(eleven_mib))
        assert isinstance(plan, services.MultipartUpload)
        assert (plan.part_bytes, plan.parts) == (5 * MIB, 3)
        urls, done = part_urls(user, video, [1, 2, 3])
        assert done == []
        for number, url in urls.items():
            chunk = eleven_mib[(number - 1) * 5 * MIB : number * 5 * MIB]
            assert put_part(url, chunk).status_code == 200
        video = services.video_mark_uploaded(actor=user, video=video)
        assert video.status == VideoStatus.QUEUED
        assert raw_object(video) == eleven_mib
        assert video_get(video.video_id, consistent=True).source_bytes == len(eleven_mib)
        services.video_delete(actor=user, video=video)

    def test_a_missing_part_changes_nothing_and_the_upload_resumes(self, user, channel, eleven_mib):
        """Parts 1 and 3 arrive, 2 is lost: "complete" says what is missing and the video
        still waits; asking again lists 1 and 3 as stored, and sending 2 finishes it."""
        video, _ = start_upload(actor=user, channel=channel, size=len(eleven_mib))
        urls, _ = part_urls(user, video, [1, 3])
        put_part(urls[1], eleven_mib[: 5 * MIB]).raise_for_status()
        put_part(urls[3], eleven_mib[10 * MIB :]).raise_for_status()
        with pytest.raises(ApplicationError, match="1 of 3 parts are missing"):
            services.video_mark_uploaded(actor=user, video=video)
        assert video_get(video.video_id, consistent=True).status == VideoStatus.UPLOADING
        assert (
            storage.head_object(bucket=storage.settings.S3_RAW_BUCKET, key=video.source_key) is None
        )

        urls, done = part_urls(user, video, [2])
        assert done == [1, 3]
        put_part(urls[2], eleven_mib[5 * MIB : 10 * MIB]).raise_for_status()
        video = services.video_mark_uploaded(actor=user, video=video)
        assert video.status == VideoStatus.QUEUED and raw_object(video) == eleven_mib
        services.video_delete(actor=user, video=video)

    def test_a_part_of_the_wrong_size_is_not_counted(self, user, channel, eleven_mib):
        """Each URL is signed for its part's size: storage refuses a shorter body, and the
        upload cannot complete without that part."""
        video, _ = start_upload(actor=user, channel=channel, size=len(eleven_mib))
        urls, _ = part_urls(user, video, [1, 2, 3])
        short = put_part(urls[1], eleven_mib[: 5 * MIB - 1])
        assert short.status_code == 403 and "SignatureDoesNotMatch" in short.text
        put_part(urls[2], eleven_mib[5 * MIB : 10 * MIB]).raise_for_status()
        put_part(urls[3], eleven_mib[10 * MIB :]).raise_for_status()
        _, done = part_urls(user, video, [])
        assert done == [2, 3]
        with pytest.raises(ApplicationError, match="1 of 3 parts are missing"):
            services.video_mark_uploaded(actor=user, video=video)
        assert video_get(video.video_id, consistent=True).status == VideoStatus.UPLOADING

    def test_cancel_drops_the_stored_parts(self, client, user, channel, eleven_mib):
        """Cancelling a multipart upload aborts it: storage keeps none of its parts."""
        video, _ = start_upload(actor=user, channel=channel, size=len(eleven_mib))
        urls, _ = part_urls(user, video, [1])
        put_part(urls[1], eleven_mib[: 5 * MIB]).raise_for_status()
        sign_in(client, user)
        response = client.post(reverse("video_cancel", args=[video.video_id]))
        assert response.json() == {"status": "cancelled"}
        assert (
            storage.multipart_parts(
                bucket=storage.settings.S3_RAW_BUCKET,
                key=video.source_key,
                upload_id=video.upload_id,
            )
            is None
        )
        assert video_get(video.video_id, consistent=True) is None

    def test_part_urls_through_the_view(self, client, user, channel):
        """The page's script asks for URLs by number; bad numbers get a readable 400."""
        video, _ = start_upload(actor=user, channel=channel, size=11 * MIB)
        sign_in(client, user)
        url = reverse("video_upload_parts", args=[video.video_id])
        answer = client.post(url, {"numbers": "1,3"}).json()
        assert sorted(answer["urls"]) == ["1", "3"] and answer["done"] == []
        assert (answer["part_bytes"], answer["parts"]) == (5 * MIB, 3)
        assert "content-length" in answer["urls"]["3"].lower()  # the size is signed
        for bad, reason in (("0", "numbered 1 to 3"), ("4", "numbered 1 to 3"), ("1;2", "comma")):
            response = client.post(url, {"numbers": bad})
            assert response.status_code == 400 and reason in response.json()["error"]

    def test_someone_elses_upload_is_refused(self, client, user, channel):
        """Another user gets a 403 and no part URL for this upload."""
        video, _ = start_upload(actor=user, channel=channel, size=11 * MIB)
        sign_in(client, make_user())
        response = client.post(
            reverse("video_upload_parts", args=[video.video_id]), {"numbers": "1"}
        )
        assert response.status_code == 403 and "urls" not in response.json()

    def test_a_posted_upload_has_no_parts(self, client, user, channel):
        """A small file goes by presigned POST; asking for part URLs for it is refused."""
        video, post = start_upload(actor=user, channel=channel, size=1000)
        assert isinstance(post, storage.PresignedPost) and video.upload_id is None
        sign_in(client, user)
        response = client.post(
            reverse("video_upload_parts", args=[video.video_id]), {"numbers": "1"}
        )
        assert response.status_code == 400
        assert "not waiting for an upload" in response.json()["error"]

    def test_a_real_video_uploaded_in_parts_becomes_ready(self, user, channel, tmp_path, settings):
        """A video file sent as a one-part multipart upload transcodes like any other."""
        settings.UPLOAD_MULTIPART_MIN_BYTES = 1
        path = make_sample(str(tmp_path / "in.mp4"), width=640, height=360, seconds=2)
        with open(path, "rb") as handle:
            data = handle.read()
        video, plan = start_upload(actor=user, channel=channel, size=len(data))
        assert isinstance(plan, services.MultipartUpload) and plan.parts == 1
        urls, _ = part_urls(user, video, [1])
        put_part(urls[1], data).raise_for_status()
        services.video_mark_uploaded(actor=user, video=video)
        worker = TranscodeWorker()
        while worker.run_once():
            pass
        video = video_get(video.video_id, consistent=True)
        assert video.status == VideoStatus.READY, video.status_reason


def test_part_size_grows_so_a_huge_file_fits_in_the_part_limit(settings):
    """S3 allows 10,000 parts: a 200 GiB file gets parts large enough, in whole MiB."""
    settings.UPLOAD_PART_BYTES = 16 * MIB
    assert uploads._part_bytes(100 * MIB) == 16 * MIB
    huge = 200 * 1024 * MIB
    part = uploads._part_bytes(huge)
    assert part % MIB == 0 and -(-huge // part) <= uploads.MAX_PARTS
    settings.UPLOAD_PART_BYTES = 1  # below S3's minimum
    assert uploads._part_bytes(100 * MIB) == uploads.MIN_PART_BYTES


def test_storage_drops_uploads_left_unfinished():
    """The raw bucket's lifecycle aborts a multipart upload nobody finished in a week."""
    storage.ensure_buckets()
    rules = s3_client().get_bucket_lifecycle_configuration(Bucket=storage.settings.S3_RAW_BUCKET)[
        "Rules"
    ]
    assert [
        (r["Status"], r["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
        for r in rules
        if "AbortIncompleteMultipartUpload" in r
    ] == [("Enabled", 7)]


@pytest.mark.usefixtures("multipart")
def test_studio_says_how_to_resume_an_unfinished_upload(client, user, channel):
    """An unfinished large upload is listed with how to resume it; a small one is not."""
    large, _ = start_upload(actor=user, channel=channel, title="Large one", size=11 * MIB)
    small, _ = start_upload(actor=user, channel=channel, title="Small one", size=1000)
    sign_in(client, user)
    page = client.get(reverse("studio_videos")).content.decode()
    rows = {
        video_id: page.split(f'id="video-{video_id}"', 1)[1].split("</tr>", 1)[0]
        for video_id in (large.video_id, small.video_id)
    }
    assert "choose the same file again" in rows[large.video_id]
    assert "choose the same file again" not in rows[small.video_id]
