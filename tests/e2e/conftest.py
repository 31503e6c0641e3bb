"""Browser fixtures: Debian's chromium driven by Playwright, one browser per session."""

import shutil

import pytest

from tests.e2e.browser_helpers import tracked_page

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def browser():
    """A headless chromium shared by every browser test (starting one is the slow part)."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium is missing: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh page in its own context; ``page.problems`` lists what went wrong."""
    page = tracked_page(browser)
    yield page
    page.context.close()


@pytest.fixture
def running_worker():
    """The real transcode worker, polling in a thread like `manage.py transcode_worker`."""
    import threading

    from videos_app.worker import TranscodeWorker

    stop = threading.Event()
    worker = TranscodeWorker()
    thread = threading.Thread(
        target=worker.run_forever, kwargs={"poll_s": 0.5, "stop": stop}, daemon=True
    )
    thread.start()
    yield worker
    stop.set()
    thread.join(timeout=120)


@pytest.fixture
def ingest(tmp_path):
    """The local live ingest on the ports the pages advertise (set per test session)."""
    from django.conf import settings

    from live_app.ingest import IngestServer

    server = IngestServer(
        rtmp_host=settings.LIVE_RTMP_HOST,
        rtmp_port=settings.LIVE_RTMP_PORT,
        callback_port=settings.LIVE_CALLBACK_PORT,
        work_dir=tmp_path / "live",
    )
    server.start()
    yield server
    server.stop()
