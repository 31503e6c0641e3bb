"""The colour theme: light, dark or the device's, kept with the account when signed in
and in a cookie of the visitor's own otherwise."""

import pytest
from django.test import Client

from channels_app.preferences import THEME_COOKIE
from channels_app.selectors import user_get
from conftest import make_user, sign_in


def html_tag(response) -> str:
    body = response.content.decode()
    return body[body.index("<html") : body.index(">", body.index("<html")) + 1]


class TestVisitor:
    def test_device_theme_by_default(self, client):
        tag = html_tag(client.get("/"))
        assert "data-theme" not in tag

    def test_choice_is_a_cookie_and_the_page_follows_it(self, client):
        response = client.get("/accounts/theme/", {"theme": "dark", "next": "/c/x/"})
        assert response.status_code == 302 and response["Location"] == "/c/x/"
        assert response.cookies[THEME_COOKIE].value == "dark"
        assert response.cookies[THEME_COOKIE]["httponly"]
        assert 'data-theme="dark"' in html_tag(client.get("/"))

    def test_system_forgets_the_cookie(self, client):
        client.get("/accounts/theme/", {"theme": "light"})
        response = client.get("/accounts/theme/", {"theme": "system"})
        assert response.cookies[THEME_COOKIE].value == ""  # deleted
        assert "data-theme" not in html_tag(client.get("/"))

    @pytest.mark.parametrize("bad", ["", "purple", "dark; evil", "<script>"])
    def test_unknown_theme_is_refused_and_nothing_changes(self, client, bad):
        client.get("/accounts/theme/", {"theme": "light"})
        response = client.get("/accounts/theme/", {"theme": bad})
        assert response.status_code == 400
        assert b"Choose light, dark or system" in response.content
        assert THEME_COOKIE not in response.cookies
        assert 'data-theme="light"' in html_tag(client.get("/"))

    def test_forged_cookie_value_is_ignored(self, client):
        client.cookies[THEME_COOKIE] = '"><script>'
        assert "data-theme" not in html_tag(client.get("/"))

    def test_next_cannot_leave_the_site(self, client):
        response = client.get(
            "/accounts/theme/", {"theme": "dark", "next": "https://evil.example/"}
        )
        assert response["Location"] == "/"

    def test_visitor_form_is_a_plain_get_without_a_csrf_token(self, client):
        body = client.get("/").content.decode()
        form = body[body.index('<form class="theme-switch"') :]
        form = form[: form.index("</form>")]
        assert 'method="get"' in form and "csrfmiddlewaretoken" not in form
        assert "csrftoken" not in client.cookies


@pytest.mark.usefixtures("user")
class TestMember:
    def test_choice_is_kept_with_the_account(self, user):
        first = Client()
        sign_in(first, user)
        response = first.post("/accounts/theme/", {"theme": "dark", "next": "/"})
        assert response.status_code == 302
        assert user_get(user.user_id).theme == "dark"
        # Another browser of the same person gets it too.
        second = Client()
        sign_in(second, user)
        assert 'data-theme="dark"' in html_tag(second.get("/"))
        second.post("/accounts/theme/", {"theme": "system"})
        assert not user_get(user.user_id).theme
        assert "data-theme" not in html_tag(first.get("/"))

    def test_a_get_cannot_change_the_account(self, signed_in_client, user):
        response = signed_in_client.get("/accounts/theme/", {"theme": "dark"})
        assert response.status_code == 405
        assert not user_get(user.user_id).theme

    def test_post_needs_the_csrf_token(self, user):
        signed = Client()
        sign_in(signed, user)
        client = Client(enforce_csrf_checks=True)
        client.cookies = signed.cookies
        response = client.post("/accounts/theme/", {"theme": "dark"})
        assert response.status_code == 403
        assert not user_get(user.user_id).theme

    def test_bad_value_changes_nothing(self, signed_in_client, user):
        signed_in_client.post("/accounts/theme/", {"theme": "light"})
        response = signed_in_client.post("/accounts/theme/", {"theme": "neon"})
        assert response.status_code == 400
        assert user_get(user.user_id).theme == "light"

    def test_member_form_posts_with_the_token(self, signed_in_client):
        body = signed_in_client.get("/").content.decode()
        form = body[body.index('<form class="theme-switch"') :]
        form = form[: form.index("</form>")]
        assert 'method="post"' in form and "csrfmiddlewaretoken" in form


def test_cookie_does_not_override_the_account(client):
    member = make_user()
    sign_in(client, member)
    client.cookies[THEME_COOKIE] = "dark"
    assert "data-theme" not in html_tag(client.get("/"))
