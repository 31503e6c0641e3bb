"""Where a person lands: Home after signing up or logging in, or the safe page they were
going to; never the Studio unless they asked for it."""

import pytest

from channels_app.tests.factories import sign_up_and_confirm
from conftest import STRONG_PASSWORD, make_user, unique


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Cheap hashes: these tests are about redirects, not PBKDF2's cost."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def signup_data() -> dict:
    return {"email": f"{unique()}@example.com", "display_name": "Ada", "password": STRONG_PASSWORD}


class TestLanding:
    def test_sign_up_confirmation_lands_home(self, client):
        """A new viewer who confirms the emailed link is sent to Home, not the Studio."""
        response = sign_up_and_confirm(client, signup_data())

        assert response.status_code == 302
        assert response["Location"] == "/"

    def test_sign_up_confirmation_with_next_lands_there(self, client):
        """The confirm button carries the page the person was going to; they land there."""
        response = sign_up_and_confirm(client, signup_data(), next="/watch/abc/")

        assert response.status_code == 302
        assert response["Location"] == "/watch/abc/"

    def test_login_without_next_lands_home(self, client):
        """Logging in with no next goes to Home."""
        user = make_user()

        response = client.post(
            "/accounts/login/", {"email": user.email, "password": STRONG_PASSWORD}
        )

        assert response.status_code == 302
        assert response["Location"] == "/"

    def test_login_with_safe_next_goes_there(self, client):
        """A same-site next is honoured."""
        user = make_user()

        response = client.post(
            "/accounts/login/",
            {"email": user.email, "password": STRONG_PASSWORD, "next": "/studio/videos/"},
        )

        assert response.status_code == 302
        assert response["Location"] == "/studio/videos/"

    def test_login_with_offsite_next_lands_home(self, client):
        """An off-site next is ignored (no open redirect): Home instead."""
        user = make_user()

        response = client.post(
            "/accounts/login/",
            {"email": user.email, "password": STRONG_PASSWORD, "next": "https://evil.example/"},
        )

        assert response.status_code == 302
        assert response["Location"] == "/"
