"""`make screenshots`: PNGs of every kind of page at desktop and phone widths, in the
light and the dark theme, into docs/screenshots/ (or $SCREENSHOTS_DIR). Not part of the
test suite (the file name does not start with test_); run through pytest for its servers
and the same scene as the layout test."""

import os
from pathlib import Path

import pytest

from tests.e2e.browser_helpers import log_in
from tests.e2e.test_layout_widths import (  # noqa: F401 - scene is a fixture
    ANONYMOUS_PAGES,
    DESKTOP,
    MEMBER_PAGES,
    scene,
    show,
)

PHONE = {"width": 390, "height": 844}
SIZES = {"desktop": DESKTOP, "phone": PHONE}
ANONYMOUS = tuple(p for p in ANONYMOUS_PAGES if p != "not_found") + ("not_found",)
MEMBER = tuple(p for p in MEMBER_PAGES if p != "not_found")


def _out_dir() -> Path:
    root = Path(__file__).resolve().parents[2]
    out = Path(os.environ.get("SCREENSHOTS_DIR") or root / "docs" / "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewer", ["anonymous", "member"])
def test_screenshots(browser, scene, live_server_url, viewer, scheme):  # noqa: F811
    out = _out_dir()
    context = browser.new_context(color_scheme=scheme, viewport=DESKTOP)
    page = context.new_page()
    try:
        if viewer == "member":
            log_in(page, live_server_url, scene["member"])
        for name in ANONYMOUS if viewer == "anonymous" else MEMBER:
            for size_name, size in SIZES.items():
                page.set_viewport_size(size)
                show(page, scene, name)
                if viewer == "member":
                    page.locator("#bell .unread-count").wait_for(state="attached")
                page.wait_for_load_state("networkidle")
                path = out / f"{name}-{viewer}-{size_name}-{scheme}.png"
                page.screenshot(path=str(path), full_page=size_name == "desktop")
                assert path.stat().st_size > 0
    finally:
        context.close()
