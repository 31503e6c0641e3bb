"""The page chrome (header, navigation, footer) is shared by visitors of the same page,
language and theme, and never carries one person's details to another."""

import pytest
from django.test import Client

from conftest import make_user, sign_in

CHROME = {"_chrome_header.html", "_chrome_nav.html", "_chrome_footer.html"}


@pytest.fixture(autouse=True)
def remembered(settings):
    settings.VIDEO_CACHE_S = 60


def chrome_rendered(renders) -> set[str]:
    found = CHROME & set(renders)
    renders.clear()
    return found


def header(page: str) -> str:
    return page[page.index("<header") : page.index("</header>")]


def test_visitors_of_a_page_share_one_rendering(client, renders):
    first = client.get("/accounts/signup/?x=1").content.decode()
    assert chrome_rendered(renders) == CHROME
    again = Client().get("/accounts/signup/?x=1").content.decode()
    assert chrome_rendered(renders) == set()
    assert header(again) == header(first) and "Log in" in header(again)
    # Another address: its own chrome, whose log-in link and forms come back there.
    other = Client().get("/accounts/signup/?x=2").content.decode()
    assert chrome_rendered(renders) == CHROME
    assert "next=/accounts/signup/%3Fx%3D2" in header(other)
    assert 'name="next" value="/accounts/signup/?x=2"' in other


def test_language_and_theme_have_their_own(renders):
    Client().get("/accounts/login/")
    chrome_rendered(renders)
    dark = Client()
    dark.cookies["theme"] = "dark"
    body = dark.get("/accounts/login/").content.decode()
    assert chrome_rendered(renders) == CHROME
    assert 'value="dark" class="outline secondary" aria-pressed="true"' in body
    vietnamese = Client(HTTP_ACCEPT_LANGUAGE="vi").get("/accounts/login/").content.decode()
    assert chrome_rendered(renders) == CHROME
    assert "Skip to content" not in vietnamese


def test_a_member_chrome_is_their_own_and_never_shared(renders):
    member = make_user(display_name="Ada Member")
    signed_in = Client()
    sign_in(signed_in, member)
    renders.clear()
    for _ in range(2):
        body = signed_in.get("/accounts/login/").content.decode()
        assert chrome_rendered(renders) == CHROME  # every time
        assert "Ada Member" in body and "csrfmiddlewaretoken" in body
    visitor = Client().get("/accounts/login/").content.decode()
    assert "Ada Member" not in visitor and "Log out" not in visitor
