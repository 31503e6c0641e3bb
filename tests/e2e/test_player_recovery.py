"""The player outlives its URLs: hls.js never reloads a finished playlist, so when
storage refuses a segment (an expired signature) the player loads fresh playlists and
plays on."""

import re

import pytest

from tests.e2e.browser_helpers import transcoded_video
from videos_app.tests.media_samples import make_sample

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def twelve_seconds(tmp_path_factory):
    return make_sample(
        str(tmp_path_factory.mktemp("recovery") / "clip.mp4"), width=640, height=360, seconds=12
    )


def test_refused_segments_load_fresh_playlists_and_play_on(page, live_server_url, twelve_seconds):
    """Storage answers 403 for every segment after the first, as for expired URLs, until
    the player asks for the playlists again; then the video plays past the first segment."""
    video = transcoded_video(twelve_seconds, "Long enough")
    masters = []
    page.on(
        "request",
        lambda request: (
            request.url.endswith(f"/watch/{video.video_id}/hls/master.m3u8")
            and masters.append(request.url)
        ),
    )

    def expired_until_reloaded(route):
        if len(masters) < 2:
            route.fulfill(
                status=403,
                headers={"Access-Control-Allow-Origin": "*"},
                body="<Error><Code>AccessDenied</Code><Message>expired</Message></Error>",
            )
        else:
            route.continue_()

    page.route(
        re.compile(rf"/hls/{video.video_id}/[^?]+/seg_0000[1-9]\.ts\?"), expired_until_reloaded
    )
    page.goto(f"{live_server_url}/watch/{video.video_id}/")
    page.wait_for_function("() => window.videoPlayer && window.videoPlayer.levels.length >= 1")
    page.evaluate("document.getElementById('video').muted = true")
    # A reload interrupts the play() under way (the player starts playing again itself).
    page.evaluate("() => { document.getElementById('video').play().catch(() => {}); }")
    page.wait_for_function("() => document.getElementById('video').currentTime > 5", timeout=30_000)
    assert len(masters) >= 2, "the player never reloaded its playlists"
    unexpected = [p for p in page.problems if not p.startswith("403 GET")]
    assert not unexpected, unexpected
