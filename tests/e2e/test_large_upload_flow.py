"""A large file goes up in parts from the browser: a part lost on the way is sent again,
and an upload cut off by closing the page resumes, skipping what storage already has."""

import re

import pytest

from conftest import make_channel, make_user
from tests.e2e.browser_helpers import log_in
from videoplatform import storage
from videoplatform.aws import s3_client
from videos_app import services
from videos_app.models import VideoStatus
from videos_app.selectors import studio_videos
from videos_app.tests.media_samples import make_sample

pytestmark = pytest.mark.browser

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def large_sample(tmp_path_factory):
    path = make_sample(
        str(tmp_path_factory.mktemp("e2e-large") / "large.mp4"),
        width=1280,
        height=720,
        seconds=8,
        lossless=True,
    )
    with open(path, "rb") as handle:
        data = handle.read()
    assert len(data) > 10 * MIB, "the sample must need three 5 MiB parts"
    return path, data


@pytest.fixture
def multipart_uploads(settings):
    settings.UPLOAD_MULTIPART_MIN_BYTES = MIB
    settings.UPLOAD_PART_BYTES = 5 * MIB


@pytest.fixture
def creator_page(page, live_server_url):
    creator = make_user()
    channel = make_channel(owner=creator, name="Big Files")
    log_in(page, live_server_url, creator)
    return page, creator, channel


def choose_and_upload(page, live_server_url, channel, title, path):
    page.goto(f"{live_server_url}/studio/upload/")
    page.get_by_label("Channel").select_option(channel.channel_id)
    page.get_by_label("Title").fill(title)
    page.get_by_label("Video file").set_input_files(path)
    page.get_by_role("button", name="Upload video").click()


def part_requests(page, number: int) -> list:
    """Records the PUTs of one part number that reach storage."""
    seen = []
    pattern = re.compile(rf"[?&]partNumber={number}(&|$)")
    page.on("request", lambda r: r.method == "PUT" and pattern.search(r.url) and seen.append(r))
    return seen


def only_video(creator):
    videos = studio_videos(creator.user_id).items
    assert len(videos) == 1, [v.title for v in videos]
    return videos[0]


def stored_source(video) -> bytes:
    got = s3_client().get_object(Bucket=storage.settings.S3_RAW_BUCKET, Key=video.source_key)
    return got["Body"].read()


@pytest.mark.usefixtures("multipart_uploads")
def test_a_lost_request_is_sent_again(creator_page, live_server_url, large_sample):
    """The connection drops once while asking the site for part URLs and once during
    part 2: the page tries each again and the upload completes with the stored file
    identical to the original."""
    page, creator, channel = creator_page
    path, data = large_sample
    dropped = []

    def drop_once(route):
        kind = "urls" if "upload-parts" in route.request.url else "part 2"
        if kind in dropped:
            route.continue_()
        else:
            dropped.append(kind)
            route.abort("connectionreset")

    page.route(re.compile(r".*[?&]partNumber=2(&.*)?$"), drop_once)
    page.route(re.compile(r".*/upload-parts/$"), drop_once)
    choose_and_upload(page, live_server_url, channel, "Sent in parts", path)
    page.wait_for_url(f"{live_server_url}/studio/videos/", timeout=60_000)

    assert sorted(dropped) == ["part 2", "urls"]
    video = only_video(creator)
    assert video.status in (VideoStatus.QUEUED, VideoStatus.PROCESSING, VideoStatus.READY)
    assert stored_source(video) == data
    services.video_delete(actor=creator, video=video)


@pytest.mark.usefixtures("multipart_uploads")
def test_an_upload_cut_off_resumes_after_a_reload(creator_page, live_server_url, large_sample):
    """Part 3 never gets through: after its retries the page says the parts sent are kept.
    The creator reloads and chooses the same file again: the same video resumes, and the
    parts already stored are not sent again."""
    page, creator, channel = creator_page
    path, data = large_sample
    part_three = re.compile(r".*[?&]partNumber=3(&.*)?$")
    page.route(part_three, lambda route: route.abort("connectionreset"))
    choose_and_upload(page, live_server_url, channel, "Resumed upload", path)
    error = page.locator("#upload-error")
    error.filter(has_text="choose the same file again to resume").wait_for(timeout=60_000)
    video = only_video(creator)
    assert video.status == VideoStatus.UPLOADING
    stored = storage.multipart_parts(
        bucket=storage.settings.S3_RAW_BUCKET, key=video.source_key, upload_id=video.upload_id
    )
    assert [p.number for p in stored] == [1, 2]

    page.unroute(part_three)
    page.reload()
    first, second, third = (part_requests(page, n) for n in (1, 2, 3))
    page.get_by_label("Channel").select_option(channel.channel_id)
    page.get_by_label("Title").fill("Resumed upload")
    page.get_by_label("Video file").set_input_files(path)
    page.get_by_role("button", name="Upload video").click()
    page.wait_for_url(f"{live_server_url}/studio/videos/", timeout=60_000)

    assert (len(first), len(second), len(third)) == (0, 0, 1)
    resumed = only_video(creator)
    assert resumed.video_id == video.video_id and resumed.status != VideoStatus.UPLOADING
    assert stored_source(resumed) == data
    services.video_delete(actor=creator, video=resumed)


@pytest.mark.usefixtures("multipart_uploads")
def test_an_upload_waits_out_a_lost_connection(creator_page, live_server_url, large_sample):
    """The browser goes offline while part 2 is on its way: the page says so, sends
    nothing while offline, and finishes by itself once the connection is back."""
    page, creator, channel = creator_page
    path, data = large_sample
    context = page.context
    cut = []

    def go_offline_during_part_two(route):
        if cut:
            route.continue_()
            return
        cut.append(route.request.url)
        context.set_offline(True)
        route.abort("internetdisconnected")

    page.route(re.compile(r".*[?&]partNumber=2(&.*)?$"), go_offline_during_part_two)
    choose_and_upload(page, live_server_url, channel, "Offline for a while", path)
    state = page.locator("#upload-state")
    state.filter(has_text="You are offline").wait_for(timeout=30_000)
    sent_while_offline = part_requests(page, 2)
    page.wait_for_timeout(3_000)
    assert sent_while_offline == [] and page.locator("#upload-error").inner_text() == ""

    context.set_offline(False)
    page.wait_for_url(f"{live_server_url}/studio/videos/", timeout=60_000)
    assert len(cut) == 1
    video = only_video(creator)
    assert video.status != VideoStatus.UPLOADING and stored_source(video) == data
    services.video_delete(actor=creator, video=video)
