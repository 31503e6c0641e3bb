"""axe-core (pinned, static/vendor/axe.min.js) finds no serious or critical problem on any
kind of page, for visitors and members, in the light and the dark theme."""

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

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "static" / "vendor" / "axe.min.js"
SERIOUS = ("serious", "critical")

# Evaluated through the DevTools protocol, which the page's CSP does not govern.
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.slice(0, 3).map(
      (n) => n.target.join(" ") + " :: " + (n.failureSummary || "").split("\\n")[1]
    ),
  }));
}"""


@pytest.fixture(scope="module", params=["light", "dark"])
def pages(request, browser, scene, live_server_url):  # noqa: F811
    scheme = request.param
    anonymous = browser.new_context(color_scheme=scheme, viewport=DESKTOP).new_page()
    member = browser.new_context(color_scheme=scheme, viewport=DESKTOP).new_page()
    log_in(member, live_server_url, scene["member"])
    yield {"anonymous": anonymous, "member": member}
    anonymous.context.close()
    member.context.close()


def serious_violations(page) -> list[dict]:
    page.evaluate(AXE.read_text(encoding="utf-8"))
    return [v for v in page.evaluate(RUN_AXE) if v["impact"] in SERIOUS]


@pytest.mark.parametrize(
    ("viewer", "name"),
    [("anonymous", n) for n in ANONYMOUS_PAGES] + [("member", n) for n in MEMBER_PAGES],
)
def test_no_serious_accessibility_problem(pages, scene, viewer, name):  # noqa: F811
    page = pages[viewer]
    show(page, scene, name)
    if viewer == "member":
        page.locator("#bell .unread-count").wait_for(state="attached")
    page.wait_for_load_state("networkidle")
    found = serious_violations(page)
    if found:
        lines = [f"{v['impact']} {v['id']}: {v['help']} -> {v['nodes']}" for v in found]
        pytest.fail(f"{viewer} {name}:\n" + "\n".join(lines), pytrace=False)


def test_axe_finds_a_planted_problem(pages, scene):  # noqa: F811
    """The check itself works: an image button without a name is reported."""
    page = pages["anonymous"]
    page.goto(scene["urls"]["home"])
    page.evaluate(
        "() => { const b = document.createElement('button');"
        " b.innerHTML = '<svg width=10 height=10></svg>';"
        " document.querySelector('main').append(b); }"
    )
    assert any(v["id"] == "button-name" for v in serious_violations(page))


def test_skip_link_is_first_and_focus_is_visible(pages, scene):  # noqa: F811
    """Tab first reaches "Skip to content", shown when focused, which moves past the
    header; every focused control draws a visible ring."""
    page = pages["member"]
    page.goto(scene["urls"]["watch"])
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to content"
    box = skip.bounding_box()
    assert box and box["y"] >= 0, box  # on screen while focused
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineWidth")
    assert float(outline.replace("px", "")) >= 2, outline
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"
    page.keyboard.press("Tab")
    inside_main = page.evaluate("document.querySelector('main').contains(document.activeElement)")
    assert inside_main
