"""Small helpers shared by the browser tests."""

from conftest import STRONG_PASSWORD, make_channel, make_user


def tracked_page(browser, *, timeout_ms: int = 15_000):
    """A page in a context of its own (own cookies).

    ``page.problems`` collects script errors and failed responses (the favicon aside,
    which the site does not have), so a test can assert the page ran cleanly.
    """
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    page.problems = []
    page.on("pageerror", lambda error: page.problems.append(f"script error: {error}"))
    page.on(
        "response",
        lambda r: (
            r.status >= 400
            and not r.url.endswith("/favicon.ico")
            and page.problems.append(f"{r.status} {r.request.method} {r.url}")
        ),
    )
    # A request aborted by leaving the page (net::ERR_ABORTED) is not a problem.
    page.on(
        "requestfailed",
        lambda r: (
            "ERR_ABORTED" not in (r.failure or "")
            and page.problems.append(f"failed {r.method} {r.url} {r.failure}")
        ),
    )
    return page


def log_in(page, base_url: str, user) -> None:
    """Log in through the form, as a person would."""
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/")


def transcoded_video(path: str, title: str, *, creator=None, channel=None):
    """A video uploaded from ``path`` and transcoded by the real worker, ready to play
    (by a new creator on a new channel unless given)."""
    from videos_app.models import VideoStatus
    from videos_app.selectors import video_get
    from videos_app.tests.factories import make_uploaded_video
    from videos_app.worker import TranscodeWorker

    creator = creator or make_user()
    channel = channel or make_channel(owner=creator)
    video = make_uploaded_video(actor=creator, channel=channel, path=path, title=title)
    worker = TranscodeWorker()
    for _ in range(20):  # older leftovers in this session's queue may come first
        if video_get(video.video_id, consistent=True).status == VideoStatus.READY:
            break
        assert worker.run_once(), "the uploaded video was not picked up"
    video = video_get(video.video_id, consistent=True)
    assert video.status == VideoStatus.READY, video.status_reason
    return video
