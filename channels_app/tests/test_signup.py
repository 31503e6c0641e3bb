"""Sign-up confirmed by email: the form answers the same whether or not the email has an
account; the link creates the account once, only by POST, and only within its lifetime."""

import hashlib
import re

import pytest
from django.conf import settings
from django.test import Client, override_settings

from channels_app import signups
from channels_app.models import PendingSignup
from channels_app.selectors import user_get_by_email
from channels_app.signups import LINK_EXPIRED, LINK_NOT_VALID, signup_request
from channels_app.tests.factories import mails_to, signup_link, signup_token
from conftest import STRONG_PASSWORD, make_user, unique
from videoplatform.dynamodb import now_s

CHECK_INBOX = "to finish signing up."
ALREADY_EXISTS = "An account with this email already exists; log in."


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Cheap hashes: these tests are about the flow, not PBKDF2's deliberate cost."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def new_email() -> str:
    return f"{unique()}@example.com"


def new_client(**defaults) -> Client:
    """A client from an address no other test uses, so per-IP sign-up limits start at zero."""
    raw = unique("")
    ip = f"10.{int(raw[:2], 16)}.{int(raw[2:4], 16)}.{int(raw[4:6], 16)}"
    return Client(REMOTE_ADDR=ip, **defaults)


def signup_data(**overrides) -> dict:
    data = {"email": new_email(), "display_name": "Ada", "password": STRONG_PASSWORD}
    data.update(overrides)
    return data


def pending_for(email: str) -> list[PendingSignup]:
    """Every pending sign-up stored for ``email`` (a Scan: fine on the local test table)."""
    return list(PendingSignup.scan(PendingSignup.email == email, consistent_read=True))


def request_signup(**overrides) -> tuple[str, str]:
    """A pending sign-up made through the service; returns (email, token)."""
    data = signup_data(**overrides)
    signup_request(**data, ip=unique("ip-"))
    return data["email"], signup_token(data["email"])


def confirm_path(token: str) -> str:
    return f"/accounts/signup/confirm/{token}/"


def without_csrf_and(body: str, email: str) -> str:
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken"', body)
    body = re.sub(r"&quot;X-CSRFToken&quot;: &quot;[^&]+&quot;", "X-CSRFToken", body)
    body = re.sub(r'"X-CSRFToken": "[^"]+"', "X-CSRFToken", body)
    return body.replace(email, "EMAIL")


class TestSignUpRequest:
    def test_new_and_existing_email_get_the_same_answer(self, settings):
        """Status, template and page are identical (but for the CSRF token and the echoed
        email) for an email with an account and one without."""
        # Nothing kept between the two (a visitor's page chrome is, per address), so both
        # answers are rendered in full and their templates compare.
        settings.VIDEO_CACHE_S = 0
        existing = make_user()
        fresh = new_email()

        answers = {}
        for email in (existing.email, fresh):
            response = new_client().post(
                "/accounts/signup/",
                signup_data(email=email, display_name="Someone", password="a-new-passphrase-42"),
            )
            answers[email] = (
                response.status_code,
                [template.name for template in response.templates],
                sorted(response.cookies),
                without_csrf_and(response.content.decode(), email),
            )

        assert answers[existing.email] == answers[fresh]
        status, templates, _, body = answers[fresh]
        assert status == 200
        assert templates[0] == "channels_app/signup_sent.html"
        assert f"Check your inbox at <strong>EMAIL</strong> {CHECK_INBOX}" in body
        assert "already" not in body

    def test_existing_owner_is_told_by_email_and_nothing_is_stored(self):
        """The account's owner gets a "someone tried" email with a log-in link, no sign-up
        link; no pending sign-up is stored and the account is as it was."""
        owner = make_user(display_name="Owner")

        response = new_client().post(
            "/accounts/signup/", signup_data(email=f" {owner.email.upper()} ", display_name="X")
        )

        assert response.status_code == 200
        [message] = mails_to(owner.email)
        assert "tried to sign up" in message.subject
        assert f"{settings.SITE_URL}/accounts/login/" in message.body
        assert "/accounts/signup/confirm/" not in message.body
        assert pending_for(owner.email) == []
        after = user_get_by_email(owner.email)
        assert (after.user_id, after.display_name) == (owner.user_id, "Owner")

    def test_new_email_gets_a_link_and_no_account_yet(self):
        """A new email gets one message with a confirmation link on SITE_URL; a pending
        sign-up is stored and no account exists until the link is used."""
        data = signup_data(display_name="Grace")

        new_client().post("/accounts/signup/", data)

        [message] = mails_to(data["email"])
        assert message.from_email == settings.DEFAULT_FROM_EMAIL
        assert f"{settings.SITE_URL}{signup_link(data['email'])}" in message.body
        assert "Grace" not in message.body  # nothing the form's sender typed but the address
        [pending] = pending_for(data["email"])
        assert pending.display_name == "Grace"
        assert pending.password_hash and STRONG_PASSWORD not in pending.password_hash
        assert pending.expires_at - now_s() == pytest.approx(24 * 3600, abs=60)
        assert user_get_by_email(data["email"]) is None

    def test_stored_id_is_the_token_hash_not_the_token(self):
        """Only the SHA-256 of the link's token is stored: a leaked row holds no usable link."""
        email, token = request_signup()

        [pending] = pending_for(email)

        assert pending.signup_id == hashlib.sha256(token.encode()).hexdigest()
        assert token not in pending.signup_id
        assert confirm_path(pending.signup_id) != confirm_path(token)
        assert new_client().get(confirm_path(pending.signup_id)).status_code == 404

    def test_per_ip_rate_limit_still_applies(self):
        """Past the per-IP limit the form answers 429 with a message, and sends nothing."""
        client = new_client()
        with override_settings(SIGNUPS_PER_IP_PER_HOUR=2):
            for _ in range(2):
                assert client.post("/accounts/signup/", signup_data()).status_code == 200
            data = signup_data()
            response = client.post("/accounts/signup/", data)

        assert response.status_code == 429
        assert "Too many sign-ups from your network" in response.content.decode()
        assert mails_to(data["email"]) == [] and pending_for(data["email"]) == []

    def test_one_address_gets_a_bounded_number_of_emails(self):
        """Many requests for one address from many networks send at most the hourly number
        of emails, and the page still answers the same."""
        email = new_email()
        with override_settings(SIGNUP_EMAILS_PER_ADDRESS_PER_HOUR=2):
            for _ in range(4):
                response = new_client().post("/accounts/signup/", signup_data(email=email))
                assert response.status_code == 200
                assert CHECK_INBOX in response.content.decode()

        assert len(mails_to(email)) == 2
        assert len(pending_for(email)) == 2

    def test_form_errors_are_shown_and_nothing_is_sent(self):
        """A weak password is refused on the form as before; no email, nothing stored."""
        data = signup_data(password="qwertyuiop")

        response = new_client().post("/accounts/signup/", data)

        assert response.status_code == 200
        assert "This password is too common." in response.content.decode()
        assert mails_to(data["email"]) == [] and pending_for(data["email"]) == []

    def test_password_never_in_the_debug_error_page(self, settings, monkeypatch):
        """With DEBUG on, a crash while the password is hashed shows an error page with
        neither the POSTed password nor the local variables holding it."""
        settings.DEBUG = True
        secret = f"secret-{unique()}-passphrase"

        def crash(password):
            raise RuntimeError("hasher crashed")

        monkeypatch.setattr(signups, "make_password", crash)
        client = new_client(raise_request_exception=False)
        response = client.post("/accounts/signup/", signup_data(password=secret))

        assert response.status_code == 500
        body = response.content.decode()
        assert "hasher crashed" in body  # the debug page was rendered
        assert secret not in body


class TestSignUpConfirm:
    def test_get_shows_a_button_and_changes_nothing(self):
        """Opening the link (as a mail scanner would, twice) creates nothing, signs nobody
        in, and leaves the link usable."""
        email, token = request_signup()
        client = new_client()

        for _ in range(2):
            response = client.get(confirm_path(token))
            assert response.status_code == 200
            body = response.content.decode()
            assert email in body and "Create my account" in body
            assert 'method="post"' in body

        assert response["Referrer-Policy"] == "same-origin"
        assert user_get_by_email(email) is None
        assert len(pending_for(email)) == 1
        assert client.get("/studio/").status_code == 302

    def test_post_creates_the_account_signs_in_and_goes_home(self):
        """Pressing the button creates the account with the chosen name and password,
        signs in, lands on the home page and forgets the pending sign-up."""
        email, token = request_signup(display_name="Grace Hopper")
        client = new_client()

        response = client.post(confirm_path(token))

        assert response.status_code == 302
        assert response["Location"] == "/"
        user = user_get_by_email(email)
        assert user is not None and user.display_name == "Grace Hopper"
        assert pending_for(email) == []
        home = client.get("/").content.decode()
        assert "Welcome, Grace Hopper!" in home and "Log out" in home
        assert client.get("/studio/").status_code == 200
        login = new_client().post("/accounts/login/", {"email": email, "password": STRONG_PASSWORD})
        assert login.status_code == 302

    def test_second_use_of_the_link_fails_clearly(self):
        """A used link answers 404 with a message, GET or POST, and creates nothing more."""
        email, token = request_signup()
        assert new_client().post(confirm_path(token)).status_code == 302
        first = user_get_by_email(email)

        for method in ("get", "post"):
            response = getattr(new_client(), method)(confirm_path(token))
            assert response.status_code == 404
            assert LINK_NOT_VALID in response.content.decode()
        assert user_get_by_email(email).user_id == first.user_id

    def test_expired_link_fails_and_creates_nothing(self):
        """A link past its 24 hours answers 400 with a message (even before TTL deletes the
        item), and no account is created."""
        email, token = request_signup()
        [pending] = pending_for(email)
        pending.update(actions=[PendingSignup.expires_at.set(now_s() - 1)])

        for method in ("get", "post"):
            response = getattr(new_client(), method)(confirm_path(token))
            assert response.status_code == 400
            assert LINK_EXPIRED in response.content.decode()
        assert user_get_by_email(email) is None

    @pytest.mark.parametrize("token", ["not-a-real-token", "x" * 3000, "%00"])
    def test_unknown_token_is_not_found(self, token):
        """A token nobody was sent answers 404 with the message, GET or POST."""
        for method in ("get", "post"):
            response = getattr(new_client(), method)(confirm_path(token))
            assert response.status_code == 404
            assert LINK_NOT_VALID in response.content.decode()

    def test_email_taken_meanwhile_says_log_in(self):
        """When the email got an account after the link was sent, the button says so and
        the other account is left as it was."""
        email, token = request_signup(display_name="Late")
        owner = make_user(email=email, display_name="First")

        response = new_client().post(confirm_path(token))

        assert response.status_code == 409
        assert ALREADY_EXISTS in response.content.decode()
        after = user_get_by_email(email)
        assert (after.user_id, after.display_name) == (owner.user_id, "First")
        assert pending_for(email) == []

    def test_two_links_for_one_email_make_one_account(self):
        """Two sign-ups for one new email: the first link used wins, the other says log in."""
        email, first_token = request_signup(display_name="One")
        _, second_token = request_signup(email=email, display_name="Two")

        assert new_client().post(confirm_path(second_token)).status_code == 302
        response = new_client().post(confirm_path(first_token))

        assert response.status_code == 409
        assert ALREADY_EXISTS in response.content.decode()
        assert user_get_by_email(email).display_name == "Two"

    def test_next_from_the_form_is_where_the_link_leads(self):
        """A ``next`` on this site given to the sign-up form is where confirming lands."""
        client = new_client()
        data = signup_data()
        client.post("/accounts/signup/?next=/feed/", data)
        link = signup_link(data["email"])

        page = client.get(link).content.decode()
        assert 'name="next" value="/feed/"' in page
        response = client.post(link, {"next": "/feed/"})

        assert response["Location"] == "/feed/"

    def test_confirm_without_csrf_token_is_forbidden_and_creates_nothing(self):
        """A cross-site POST to a link (no CSRF token) gets 403 and no account."""
        email, token = request_signup()

        response = new_client(enforce_csrf_checks=True).post(confirm_path(token))

        assert response.status_code == 403
        assert user_get_by_email(email) is None
        assert len(pending_for(email)) == 1

    def test_cognito_mode_sends_sign_up_and_links_to_log_in(self, settings):
        """With Cognito sign-in, the form and the links only lead to log in."""
        email, token = request_signup()
        settings.AUTH_BACKEND = "cognito"

        for url in ("/accounts/signup/", confirm_path(token)):
            response = new_client().post(url, signup_data())
            assert response.status_code == 302 and response["Location"] == "/accounts/login/"
        assert user_get_by_email(email) is None
