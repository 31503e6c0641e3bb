"""Log-in throttling: counted before it decides, slows down instead of locking out, trusts
a browser the owner signed in from before, and counts the client behind trusted proxies."""

import threading
import time

import pytest
from django.core import signing
from django.test import Client, RequestFactory, override_settings

from channels_app import accounts, login_throttle
from channels_app.login_throttle import LoginThrottled, delay_s, trusted_device_id
from conftest import STRONG_PASSWORD, make_user, unique
from videoplatform.errors import ApplicationError
from videoplatform.http import client_ip
from videoplatform.models import Counter
from videoplatform.tests.test_settings import PRODUCTION_ENV, run_manage

WRONG = "wrong-password-guess"
# A window that cannot roll over while a test runs, and a first wait no test outlasts.
STEADY = {"LOGIN_FAILURE_WINDOW_S": 365 * 24 * 3600, "LOGIN_BASE_DELAY_S": 60}


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Cheap hashes: these tests are about the throttle, not PBKDF2's deliberate cost."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class FakeClock:
    def __init__(self):
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    """The throttle's clock, moved by the test instead of by waiting."""
    fake = FakeClock()
    monkeypatch.setattr(login_throttle, "_now", fake)
    return fake


@pytest.fixture
def password_checks(monkeypatch):
    """Every password check accounts makes, counted (from any thread)."""
    calls = []
    lock = threading.Lock()
    real = accounts.check_password

    def counting(password, encoded):
        with lock:
            calls.append(encoded)
        return real(password, encoded)

    monkeypatch.setattr(accounts, "check_password", counting)
    return calls


def new_email() -> str:
    return f"{unique()}@example.com"


def new_ip() -> str:
    """A client address no other test uses, so per-IP counters start at zero."""
    raw = unique("")
    return f"10.{int(raw[:2], 16)}.{int(raw[2:4], 16)}.{int(raw[4:6], 16)}"


def login(client, email: str, password: str):
    return client.post("/accounts/login/", {"email": email, "password": password})


def retry_after(response) -> int:
    """The wait a 429 names, checked to be the same in the header and the message."""
    assert response.status_code == 429, response.status_code
    seconds = int(response["Retry-After"])
    unit = "second" if seconds == 1 else "seconds"
    assert f"Try again in {seconds} {unit}." in response.content.decode()
    return seconds


def authenticate(email: str, password: str, ip: str | None = None) -> str:
    """One attempt through the service: "ok", "wrong" or "throttled"."""
    try:
        accounts.user_authenticate(email=email, password=password, ip=ip or new_ip())
    except LoginThrottled:
        return "throttled"
    except ApplicationError:
        return "wrong"
    return "ok"


class TestCountsBeforeDeciding:
    @override_settings(LOGIN_FAILURES_PER_ACCOUNT=5, **STEADY)
    def test_fifteen_parallel_wrong_passwords_check_only_free_plus_one(self, user, password_checks):
        """15 wrong passwords at once (from 15 addresses): the 5 free ones and the one that
        wins the slot are checked; the other 9 are refused without a password check."""
        authenticate(new_email(), WRONG)  # open the connection before the threads race
        password_checks.clear()
        barrier = threading.Barrier(15)
        results: list[str] = []

        def attempt() -> None:
            barrier.wait()
            results.append(authenticate(user.email, WRONG))

        threads = [threading.Thread(target=attempt) for _ in range(15)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert len(results) == 15
        assert len(password_checks) == 6
        assert results.count("wrong") == 6
        assert results.count("throttled") == 9


class TestSlowsDownInsteadOfLockingOut:
    @override_settings(
        LOGIN_FAILURES_PER_ACCOUNT=3,
        LOGIN_BASE_DELAY_S=10,
        LOGIN_MAX_DELAY_S=40,
        LOGIN_FAILURE_WINDOW_S=900,
    )
    def test_owner_without_device_cookie_waits_the_delay_then_signs_in(self, user, clock):
        """After an attack, the owner in a new browser is told how long to wait, unchecked;
        once that wait is over the right password signs in. Then the key starts over."""
        for _ in range(4):  # the free attempts and the first slot
            assert authenticate(user.email, WRONG) == "wrong"
        for _ in range(30):  # a flood: refused unchecked, and the next wait grows
            assert authenticate(user.email, WRONG) == "throttled"

        owner = Client(REMOTE_ADDR=new_ip())
        assert retry_after(login(owner, user.email, STRONG_PASSWORD)) == 10
        clock.advance(9)
        assert retry_after(login(owner, user.email, STRONG_PASSWORD)) == 1
        clock.advance(1)
        response = login(owner, user.email, STRONG_PASSWORD)

        assert response.status_code == 302
        assert owner.get("/studio/").status_code == 200
        assert authenticate(user.email, WRONG) == "wrong"  # a success cleared the key

    @override_settings(
        LOGIN_FAILURES_PER_ACCOUNT=2,
        LOGIN_BASE_DELAY_S=10,
        LOGIN_MAX_DELAY_S=40,
        LOGIN_FAILURE_WINDOW_S=900,
    )
    def test_no_amount_of_guessing_locks_the_owner_out(self, user, clock):
        """However many attempts came before, the owner waits at most the longest delay."""
        for _ in range(200):
            authenticate(user.email, WRONG)
            clock.advance(0.5)

        clock.advance(40)

        assert authenticate(user.email, STRONG_PASSWORD) == "ok"

    @override_settings(LOGIN_BASE_DELAY_S=1, LOGIN_MAX_DELAY_S=8)
    def test_delay_doubles_per_attempt_and_stops_at_the_cap(self):
        """1, 2, 4, 8 seconds, then 8 however far past the free attempts."""
        assert [delay_s(excess) for excess in range(1, 7)] == [1, 2, 4, 8, 8, 8]
        assert delay_s(10**6) == 8

    @override_settings(
        LOGIN_FAILURES_PER_ACCOUNT=1,
        LOGIN_BASE_DELAY_S=1,
        LOGIN_MAX_DELAY_S=8,
        LOGIN_FAILURE_WINDOW_S=900,
    )
    def test_each_slot_waits_twice_as_long_up_to_the_cap(self, user, clock):
        """Guessing once per opening: each wait stored is double the one before, then 8 s."""
        key = f"login#account#{user.email}#untrusted"
        assert authenticate(user.email, WRONG) == "wrong"  # free
        waits = []
        for _ in range(6):
            assert authenticate(user.email, WRONG) == "wrong"
            wait = Counter.get(key, consistent_read=True).not_before - clock.now
            waits.append(round(wait, 3))
            clock.advance(wait)

        assert waits == [1, 2, 4, 8, 8, 8]

    @override_settings(
        LOGIN_FAILURES_PER_ACCOUNT=1,
        LOGIN_BASE_DELAY_S=10,
        LOGIN_MAX_DELAY_S=40,
        LOGIN_FAILURE_WINDOW_S=900,
    )
    def test_the_view_answers_429_with_retry_after(self, user, clock):
        """A refused log-in is a 429 whose Retry-After and message name the wait left."""
        client = Client(REMOTE_ADDR=new_ip())
        assert login(client, user.email, WRONG).status_code == 200
        assert login(client, user.email, WRONG).status_code == 200
        clock.advance(3.5)

        response = login(client, user.email, STRONG_PASSWORD)

        assert retry_after(response) == 7
        assert "Too many log-in attempts." in response.content.decode()
        assert client.get("/studio/").status_code == 302


class TestDeviceCookie:
    @override_settings(LOGIN_FAILURES_PER_ACCOUNT=3, LOGIN_FAILURES_PER_IP=3, **STEADY)
    def test_owner_with_device_cookie_signs_in_at_once_during_an_attack(self, user):
        """The owner's browser signed in before; an attack from the same address then
        slows every untrusted attempt, but that browser still signs in at once."""
        ip = new_ip()
        owner = Client(REMOTE_ADDR=ip)
        assert login(owner, user.email, STRONG_PASSWORD).status_code == 302
        owner.post("/accounts/logout/")
        attacker = Client(REMOTE_ADDR=ip)
        for _ in range(4):
            assert login(attacker, user.email, WRONG).status_code == 200
        assert login(attacker, user.email, WRONG).status_code == 429

        response = login(owner, user.email, STRONG_PASSWORD)

        assert response.status_code == 302
        assert owner.get("/studio/").status_code == 200
        # The attack still slows the untrusted: the same password from elsewhere waits.
        assert login(Client(REMOTE_ADDR=new_ip()), user.email, STRONG_PASSWORD).status_code == 429
        # And the address stays slowed for accounts the browser was never trusted for.
        other = make_user()
        assert login(Client(REMOTE_ADDR=ip), other.email, STRONG_PASSWORD).status_code == 429

    @override_settings(LOGIN_DEVICE_COOKIE_AGE_S=30 * 24 * 3600, SESSION_COOKIE_SECURE=True)
    def test_cookie_is_issued_on_a_password_log_in_and_kept_from_scripts(self, user):
        """HttpOnly, SameSite=Lax, Secure in production, long-lived, and it names this
        account only: the same cookie is no good for another account, altered or expired."""
        response = login(Client(REMOTE_ADDR=new_ip()), user.email, STRONG_PASSWORD)

        cookie = response.cookies[login_throttle.DEVICE_COOKIE]
        assert cookie["httponly"] and cookie["secure"]
        assert cookie["samesite"] == "Lax"
        assert int(cookie["max-age"]) == 30 * 24 * 3600
        assert trusted_device_id(cookie.value, email=user.email)
        assert trusted_device_id(cookie.value, email=new_email()) is None
        assert trusted_device_id(cookie.value[:-2] + "xx", email=user.email) is None
        assert trusted_device_id("", email=user.email) is None

    def test_an_old_device_cookie_is_no_longer_trusted(self, user, monkeypatch, settings):
        """A cookie signed longer ago than LOGIN_DEVICE_COOKIE_AGE_S vouches for nothing."""
        an_hour_ago = time.time() - 3600
        with monkeypatch.context() as past:
            past.setattr(signing.time, "time", lambda: an_hour_ago)
            stale = login_throttle.device_cookie_value("", email=user.email)
        settings.LOGIN_DEVICE_COOKIE_AGE_S = 60

        assert trusted_device_id(stale, email=user.email) is None

    def test_one_browser_is_trusted_for_each_account_it_signed_in_to(self, user, other_user):
        """Signing in to a second account keeps the browser's id and trust in the first."""
        client = Client(REMOTE_ADDR=new_ip())
        login(client, user.email, STRONG_PASSWORD)
        first = client.cookies[login_throttle.DEVICE_COOKIE].value
        client.post("/accounts/logout/")
        login(client, other_user.email, STRONG_PASSWORD)
        both = client.cookies[login_throttle.DEVICE_COOKIE].value

        device = trusted_device_id(first, email=user.email)
        assert device is not None
        assert trusted_device_id(both, email=user.email) == device
        assert trusted_device_id(both, email=other_user.email) == device


class TestClientAddressBehindProxies:
    @pytest.mark.parametrize(
        ("hops", "forwarded", "expected"),
        [
            (0, "198.51.100.1, 203.0.113.9", "192.0.2.10"),
            (1, "198.51.100.1, 203.0.113.9", "203.0.113.9"),
            (2, "198.51.100.1, 203.0.113.9", "198.51.100.1"),
            (2, "spoofed, 198.51.100.1,203.0.113.9", "198.51.100.1"),
            (2, "203.0.113.9", "192.0.2.10"),
            (1, None, "192.0.2.10"),
            (1, "", "192.0.2.10"),
            (1, "not-an-address", "192.0.2.10"),
            (1, "198.51.100.1:443", "192.0.2.10"),
            (1, "<script>alert(1)</script>", "192.0.2.10"),
            (1, "2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
            (1, "::ffff:198.51.100.4", "198.51.100.4"),
        ],
        ids=[
            "no-proxy-ignores-header",
            "one-hop",
            "two-hops",
            "two-hops-client-sent-junk-further-left",
            "short-header",
            "no-header",
            "empty-header",
            "junk",
            "with-port",
            "markup",
            "ipv6",
            "ipv4-mapped",
        ],
    )
    def test_address_is_the_entry_the_trusted_proxies_added(self, hops, forwarded, expected):
        """The Nth entry from the right, or REMOTE_ADDR when there is none usable."""
        extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
        request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.10", **extra)

        with override_settings(TRUSTED_PROXY_HOPS=hops):
            assert client_ip(request) == expected

    def test_ipv6_remote_addr_without_proxies(self):
        """With no proxy in front an IPv6 peer is its own address."""
        request = RequestFactory().get("/", REMOTE_ADDR="2001:db8::7")

        with override_settings(TRUSTED_PROXY_HOPS=0):
            assert client_ip(request) == "2001:db8::7"

    def test_default_hops_are_none_locally_and_two_in_production(self, settings):
        """Locally nothing is in front; in production CloudFront and the ALB are."""
        result = run_manage(
            "shell",
            "-c",
            "from django.conf import settings; print(settings.TRUSTED_PROXY_HOPS)",
            env=PRODUCTION_ENV,
        )

        assert settings.TRUSTED_PROXY_HOPS == 0
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().splitlines()[-1] == "2"

    @override_settings(
        TRUSTED_PROXY_HOPS=1,
        LOGIN_FAILURES_PER_ACCOUNT=100,
        LOGIN_FAILURES_PER_IP=2,
        **STEADY,
    )
    def test_log_in_limit_counts_two_clients_behind_one_proxy_apart(self, user):
        """Both come through the same proxy address: one guessing is slowed, the other
        signs in, and a successful log-in never used up the address's free attempts."""
        proxy, address = new_ip(), new_ip()
        for _ in range(4):  # each from a new browser: no device cookie, so counted per IP
            browser = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=address)
            assert login(browser, user.email, STRONG_PASSWORD).status_code == 302
        guesser = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=address)
        for _ in range(3):
            assert login(guesser, new_email(), WRONG).status_code == 200
        assert login(guesser, new_email(), WRONG).status_code == 429
        # Sending its own header does not help: only the entry the proxy added counts.
        forged = Client(
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=f"{new_ip()}, {address}",
        )
        assert login(forged, new_email(), WRONG).status_code == 429

        neighbour = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=new_ip())
        response = login(neighbour, user.email, STRONG_PASSWORD)

        assert response.status_code == 302

    @override_settings(TRUSTED_PROXY_HOPS=1, SIGNUPS_PER_IP_PER_HOUR=1)
    def test_sign_up_limit_counts_two_clients_behind_one_proxy_apart(self):
        """The sign-up limit is per client too, not per proxy."""
        proxy = new_ip()
        first = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=new_ip())
        neighbour = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=new_ip())

        def sign_up(client):
            data = {"email": new_email(), "display_name": "Ada", "password": STRONG_PASSWORD}
            return client.post("/accounts/signup/", data)

        assert sign_up(first).status_code != 429
        assert sign_up(first).status_code == 429
        assert sign_up(neighbour).status_code != 429


class TestPasswordsStaySecret:
    def test_password_never_in_the_debug_error_page(self, user, settings, monkeypatch):
        """With DEBUG on, a crash while the password is being checked shows an error page
        with neither the POSTed password nor the local variables holding it."""
        settings.DEBUG = True
        secret = f"secret-{unique()}-passphrase"

        def crash(password, encoded):
            raise RuntimeError("hasher crashed")

        monkeypatch.setattr(accounts, "check_password", crash)
        client = Client(REMOTE_ADDR=new_ip(), raise_request_exception=False)
        response = login(client, user.email, secret)

        assert response.status_code == 500
        body = response.content.decode()
        assert "hasher crashed" in body  # the debug page was rendered
        assert secret not in body
