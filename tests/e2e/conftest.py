"""Browser fixtures: Debian's chromium driven by Playwright, one browser per session."""

import shutil

import pytest

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
    """A fresh page in its own context (own cookies).

    ``page.problems`` collects script errors and failed responses (the favicon aside,
    which the site does not have), so a test can assert the page ran cleanly.
    """
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
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
    page.on("requestfailed", lambda r: page.problems.append(f"failed {r.method} {r.url}"))
    yield page
    context.close()


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
