"""Accounts: sign up, log in and out, rate limits, roles and the DynamoDB session."""

import io
import threading
import time

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from channels_app.accounts import user_sign_up
from channels_app.selectors import user_get, user_get_by_email
from channels_app.tests.factories import mails_to, sign_up_and_confirm
from conftest import STRONG_PASSWORD, make_user, sign_in, unique
from videoplatform.errors import Conflict
from videoplatform.models import WebSession
from videoplatform.sessions import SessionStore


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Cheap hashes: these tests are about the flows, not PBKDF2's deliberate cost."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# A window that cannot roll over while a test runs, so counts never reset mid-test.
STEADY_WINDOW_S = 365 * 24 * 3600


def new_email() -> str:
    return f"{unique()}@example.com"


def new_ip() -> str:
    """A client address no other test uses, so per-IP failure counters start at zero."""
    raw = unique("")
    return f"10.{int(raw[:2], 16)}.{int(raw[2:4], 16)}.{int(raw[4:6], 16)}"


def client_from(ip: str) -> Client:
    return Client(REMOTE_ADDR=ip)


def signup_data(**overrides) -> dict:
    data = {"email": new_email(), "display_name": "Ada", "password": STRONG_PASSWORD}
    data.update(overrides)
    return data


def login(client, email: str, password: str, **extra):
    return client.post("/accounts/login/", {"email": email, "password": password, **extra})


class TestSignUp:
    def test_sign_up_through_the_emailed_link_signs_in_and_lands_home(self, client):
        """After the form and the emailed link, the account is stored, signed in and sent
        to the home page; the studio greets it."""
        data = signup_data(display_name="Grace Hopper")

        response = sign_up_and_confirm(client, data)

        assert response.status_code == 302
        assert response["Location"] == "/"
        studio = client.get("/studio/")
        assert studio.status_code == 200
        body = studio.content.decode()
        assert "<h1>Studio</h1>" in body
        assert "Grace Hopper" in body
        assert "Log out" in body
        stored = user_get_by_email(data["email"])
        assert stored is not None and stored.display_name == "Grace Hopper"
        assert stored.password_hash and STRONG_PASSWORD not in stored.password_hash

    def test_duplicate_email_is_not_revealed_and_changes_nothing(self, client):
        """A taken email, in any case or padding, gets the usual "check your inbox" page
        (whether it is taken is said only to its owner, by email); the first account stays."""
        email = new_email()
        first = make_user(email=email, display_name="First")

        response = client.post(
            "/accounts/signup/",
            signup_data(
                email=f"  {email.upper()}  ",
                display_name="Second",
                password="another-strong-passphrase",
            ),
        )

        assert response.status_code == 200
        body = response.content.decode()
        assert f"Check your inbox at <strong>{email}</strong>" in body
        assert "already exists" not in body
        assert "sessionid" not in response.cookies or not response.cookies["sessionid"].value
        assert "/accounts/signup/confirm/" not in mails_to(email)[0].body
        owner = user_get_by_email(email)
        assert owner.user_id == first.user_id
        assert owner.display_name == "First"
        assert login(client_from(new_ip()), email, STRONG_PASSWORD).status_code == 302

    def test_concurrent_sign_ups_with_one_email_create_one_account(self):
        """Two sign-ups racing for one email: exactly one succeeds, the other gets Conflict."""
        email = new_email()
        make_user()  # warm the connection so both threads start on an equal footing
        barrier = threading.Barrier(2)
        results: list = []

        def attempt(name: str) -> None:
            barrier.wait()
            try:
                results.append(
                    user_sign_up(email=email, display_name=name, password=STRONG_PASSWORD)
                )
            except Exception as error:  # noqa: BLE001 - the test inspects what was raised
                results.append(error)

        threads = [threading.Thread(target=attempt, args=(n,)) for n in ("One", "Two")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        winners = [r for r in results if not isinstance(r, Exception)]
        losers = [r for r in results if isinstance(r, Exception)]
        assert len(winners) == 1, results
        assert len(losers) == 1 and isinstance(losers[0], Conflict), results
        assert user_get_by_email(email).user_id == winners[0].user_id

    @pytest.mark.parametrize(
        ("password", "message"),
        [
            ("Zq8!vmw", "This password is too short."),
            ("qwertyuiop", "This password is too common."),
            ("8203948571029", "This password is entirely numeric."),
        ],
        ids=["too-short", "common", "numeric"],
    )
    def test_weak_password_is_refused_with_a_message(self, client, password, message):
        """Django's password validators run on sign-up; no account is created."""
        data = signup_data(password=password)

        response = client.post("/accounts/signup/", data)

        assert response.status_code == 200
        assert message in response.content.decode()
        assert user_get_by_email(data["email"]) is None

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("display_name", "x" * 51, "Ensure this value has at most 50 characters"),
            ("display_name", "", "This field is required."),
            ("display_name", "   ", "This field is required."),
            ("email", "", "This field is required."),
            ("email", "a" * 250 + "@example.com", "Ensure this value has at most 254 characters"),
            ("password", "", "This field is required."),
        ],
        ids=[
            "long-name",
            "empty-name",
            "blank-name",
            "empty-email",
            "long-email",
            "empty-password",
        ],
    )
    def test_over_long_or_empty_field_is_refused_with_a_message(
        self, client, field, value, message
    ):
        """Each bad field gets its message next to it and nothing is stored."""
        data = signup_data()
        email = data["email"]
        data[field] = value

        response = client.post("/accounts/signup/", data)

        assert response.status_code == 200
        assert message in response.content.decode()
        assert user_get_by_email(email) is None

    def test_script_in_display_name_is_rendered_escaped(self, client):
        """A display name with a script tag is shown as text, never run."""
        sign_up_and_confirm(client, signup_data(display_name="<script>alert(1)</script>"))

        body = client.get("/studio/").content.decode()

        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
        assert "<script>alert(1)" not in body

    def test_sign_up_without_csrf_token_is_forbidden_and_creates_nothing(self):
        """A cross-site POST (no CSRF token) gets 403 and no account."""
        client = Client(enforce_csrf_checks=True)
        data = signup_data()

        response = client.post("/accounts/signup/", data)

        assert response.status_code == 403
        assert "The form expired" in response.content.decode()
        assert user_get_by_email(data["email"]) is None
        assert mails_to(data["email"]) == []


class TestLogIn:
    def test_log_in_with_right_password_signs_in(self, user):
        """The right email and password sign in: the studio opens instead of redirecting."""
        client = client_from(new_ip())
        assert client.get("/studio/").status_code == 302

        response = login(client, f" {user.email.upper()} ", STRONG_PASSWORD)

        assert response.status_code == 302
        assert response["Location"] == "/"
        assert client.get("/studio/").status_code == 200

    def test_wrong_password_gets_the_generic_message(self, user):
        """A wrong password and an unknown email get the same message, naming neither."""
        client = client_from(new_ip())

        wrong_password = login(client, user.email, "not-the-password-at-all")
        unknown_email = login(client, new_email(), "not-the-password-at-all")

        for response in (wrong_password, unknown_email):
            assert response.status_code == 200
            assert "Email or password is incorrect." in response.content.decode()
        assert client.get("/studio/").status_code == 302

    def test_safe_next_is_followed(self, user):
        """A ``next`` on this site is where log-in leads."""
        response = login(client_from(new_ip()), user.email, STRONG_PASSWORD, next="/studio/")

        assert response["Location"] == "/studio/"

    @pytest.mark.parametrize("target", ["//evil.com", "https://evil.com", "///evil.com"])
    def test_next_to_another_site_is_ignored(self, user, target):
        """An open redirect through ``next`` is refused: log-in lands on the home page."""
        client = client_from(new_ip())

        response = client.post(
            f"/accounts/login/?next={target}", {"email": user.email, "password": STRONG_PASSWORD}
        )
        form_next = login(client_from(new_ip()), user.email, STRONG_PASSWORD, next=target)

        assert response.status_code == 302 and response["Location"] == "/"
        assert form_next.status_code == 302 and form_next["Location"] == "/"

    def test_log_out_signs_out(self, client, user):
        """POST to log out deletes the session item; the studio then asks to log in."""
        sign_in(client, user)
        session_key = client.cookies["sessionid"].value
        assert client.get("/studio/").status_code == 200

        response = client.post("/accounts/logout/")

        assert response.status_code == 302
        with pytest.raises(WebSession.DoesNotExist):
            WebSession.get(session_key, consistent_read=True)
        studio = client.get("/studio/")
        assert studio.status_code == 302
        assert studio["Location"].startswith("/accounts/login/")

    def test_log_out_by_get_is_not_allowed(self, client, user):
        """GET cannot log out (a link or image elsewhere must not sign you out)."""
        sign_in(client, user)

        response = client.get("/accounts/logout/")

        assert response.status_code == 405
        assert client.get("/studio/").status_code == 200


class TestLogInRateLimits:
    # A base delay long enough that no slot reopens while a test runs.
    @override_settings(
        LOGIN_FAILURES_PER_ACCOUNT=3,
        LOGIN_BASE_DELAY_S=60,
        LOGIN_FAILURE_WINDOW_S=STEADY_WINDOW_S,
    )
    def test_failures_per_account_slow_down_even_the_right_password(self, user):
        """Past the account's free attempts (from many IPs) one more guess is checked, then
        the next attempt from an untrusted browser, even with the right password, gets 429
        with the wait in the message and in Retry-After, unchecked."""
        for _ in range(3):
            response = login(client_from(new_ip()), user.email, "wrong-password-guess")
            assert response.status_code == 200
        slot = login(client_from(new_ip()), user.email, "wrong-password-guess")
        assert slot.status_code == 200
        assert "Email or password is incorrect." in slot.content.decode()

        client = client_from(new_ip())
        response = login(client, user.email, STRONG_PASSWORD)

        assert response.status_code == 429
        wait = int(response["Retry-After"])
        assert 50 < wait <= 60  # the slot's 60 s, less the moments this test took
        assert (
            f"Too many log-in attempts. Try again in {wait} seconds." in response.content.decode()
        )
        assert client.get("/studio/").status_code == 302

    @override_settings(
        LOGIN_FAILURES_PER_ACCOUNT=100,
        LOGIN_FAILURES_PER_IP=3,
        LOGIN_BASE_DELAY_S=60,
        LOGIN_FAILURE_WINDOW_S=STEADY_WINDOW_S,
    )
    def test_failures_per_ip_slow_down_that_ip_only(self, user):
        """Past an IP's free attempts (across accounts) and its one slot, it gets 429;
        other IPs still log in."""
        ip = new_ip()
        for _ in range(4):
            assert login(client_from(ip), new_email(), "wrong-password-guess").status_code == 200

        blocked = login(client_from(ip), user.email, STRONG_PASSWORD)
        elsewhere = login(client_from(new_ip()), user.email, STRONG_PASSWORD)

        assert blocked.status_code == 429
        assert "Too many log-in attempts" in blocked.content.decode()
        assert 50 < int(blocked["Retry-After"]) <= 60
        assert elsewhere.status_code == 302


class TestSessions:
    def test_session_is_stored_in_dynamodb(self, client, user):
        """The session cookie names a WebSession item that holds the signed-in user."""
        sign_in(client, user)
        session_key = client.cookies["sessionid"].value

        item = WebSession.get(session_key, consistent_read=True)

        assert item.expires_at > time.time()
        assert SessionStore().decode(item.data)["_user_id"] == user.user_id
        assert client.session["_user_id"] == user.user_id

    def test_expired_session_item_counts_as_signed_out(self, client, user, settings):
        """An item past ``expires_at`` (TTL deletion is lazy) no longer signs anyone in.
        (The item is changed behind the app's back, as another process would: with the
        per-process session memory off, the next request sees it.)"""
        settings.SESSION_CACHE_S = 0
        sign_in(client, user)
        item = WebSession.get(client.cookies["sessionid"].value, consistent_read=True)
        assert client.get("/studio/").status_code == 200

        item.update(actions=[WebSession.expires_at.set(int(time.time()) - 60)])
        response = client.get("/studio/")

        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


class TestRoleCommands:
    def test_create_admin_creates_then_promotes_idempotently(self):
        """create_admin makes a new admin account; run again it keeps the same account."""
        email = new_email()
        out = io.StringIO()

        call_command("create_admin", email=email, password=STRONG_PASSWORD, stdout=out)
        created = user_get_by_email(email)
        call_command("create_admin", email=email.upper(), password=STRONG_PASSWORD, stdout=out)
        again = user_get_by_email(email)

        assert created is not None and created.is_admin
        assert again.user_id == created.user_id and again.is_admin
        assert "created admin" in out.getvalue() and "promoted admin" in out.getvalue()
        assert login(client_from(new_ip()), email, STRONG_PASSWORD).status_code == 302

    def test_create_admin_promotes_an_existing_account(self):
        """An existing ordinary account becomes admin without a second account."""
        existing = make_user()
        assert not existing.is_admin

        call_command(
            "create_admin", email=existing.email, password=STRONG_PASSWORD, stdout=io.StringIO()
        )

        promoted = user_get(existing.user_id)
        assert promoted.is_admin
        assert user_get_by_email(existing.email).user_id == existing.user_id

    def test_grant_role_grants_and_revokes_moderator(self):
        """grant_role gives the moderator role; with --revoke it takes it away."""
        member = make_user()

        call_command("grant_role", email=member.email, role="moderator", stdout=io.StringIO())
        granted = user_get(member.user_id)
        call_command(
            "grant_role", email=member.email, role="moderator", revoke=True, stdout=io.StringIO()
        )
        revoked = user_get(member.user_id)

        assert granted.is_moderator and granted.is_staff
        assert not revoked.is_moderator and not revoked.is_staff
