"""The language: from the browser's Accept-Language, or the footer switch's cookie."""

import pytest
from django.conf import settings


def test_switch_sets_the_cookie_and_returns(client):
    response = client.get("/language/", {"language": "vi", "next": "/c/somebody/"})
    assert response.status_code == 302 and response["Location"] == "/c/somebody/"
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "vi" and cookie["httponly"]
    assert '<html lang="vi"' in client.get("/").content.decode()


@pytest.mark.parametrize("bad", ["", "fr", "vi-x", "../en"])
def test_unknown_language_is_refused_and_nothing_changes(client, bad):
    response = client.get("/language/", {"language": bad})
    assert response.status_code == 400
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_next_stays_on_the_site(client):
    response = client.get("/language/", {"language": "en", "next": "//evil.example/"})
    assert response["Location"] == "/"


def test_browser_language_is_used_without_a_choice(client):
    body = client.get("/", HTTP_ACCEPT_LANGUAGE="vi,en;q=0.5").content.decode()
    assert '<html lang="vi"' in body
    body = client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<html lang="en"' in body


def test_footer_switch_is_a_get_form_listing_the_languages(client):
    body = client.get("/").content.decode()
    form = body[body.index('<form class="language-switch"') :]
    form = form[: form.index("</form>")]
    assert 'method="get"' in form
    assert 'value="en"' in form and 'value="vi"' in form and "Tiếng Việt" in form
