"""Log-in throttling that slows guessing down instead of locking the owner out.

State lives in the Counters table, so every web process sees it. Each attempt first adds
one to its counters (an atomic ADD that returns the new count) and only then decides, so
parallel attempts cannot all pass a check made before any of them was counted:

- The first ``free`` attempts of a key are checked at once.
- Beyond that an attempt must claim the key's next slot: a conditional update that holds
  only while ``not_before`` is absent or past, and moves it on by a delay that doubles with
  every attempt beyond ``free`` (capped). Of many parallel attempts one wins the slot; the
  others are refused (429, Retry-After) without their password being checked.

Keys are per (account, source) and, for untrusted sources, per client address. The source
is a trusted device when the browser presents a device cookie issued to it at an earlier
successful log-in to that account (OWASP "device cookies"), else "untrusted": someone
hammering an account slows only the untrusted source, never the owner's own browsers.
Nothing is permanent: waits are capped, and a key is forgotten after
``LOGIN_FAILURE_WINDOW_S`` without an attempt.
"""

import ipaddress
import math
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext, ngettext
from pynamodb.exceptions import DoesNotExist, UpdateError

from videoplatform.dynamodb import condition_failed
from videoplatform.errors import Busy, RateLimited
from videoplatform.models import Counter

DEVICE_COOKIE = "login_device"
_DEVICE_SALT = "channels_app.login_throttle.device"
# One browser may be trusted for a few accounts (a shared family computer); oldest drop off.
_DEVICE_MAX_ACCOUNTS = 10
UNTRUSTED = "untrusted"


class LoginThrottled(RateLimited):
    """Too many recent attempts for this account or address; the password was not checked."""

    def __init__(self, retry_after_s: int):
        super().__init__(
            ngettext(
                "Too many log-in attempts. Try again in %(n)d second.",
                "Too many log-in attempts. Try again in %(n)d seconds.",
                retry_after_s,
            )
            % {"n": retry_after_s}
        )
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class LoginAttempt:
    """The counters one attempt was counted on, to settle once the password is checked."""

    account_key: str
    ip_key: str | None
    now: float


def _now() -> float:
    # One place to read the clock, so tests can move it.
    return time.time()


def delay_s(excess: int) -> int:
    """The wait after the ``excess``-th attempt beyond the free ones: 1, 2, 4 ... x base,
    at most ``LOGIN_MAX_DELAY_S``."""
    doublings = min(max(excess, 1) - 1, 32)
    return min(settings.LOGIN_MAX_DELAY_S, settings.LOGIN_BASE_DELAY_S * 2**doublings)


def _retry_after(not_before: float, now: float) -> int:
    return max(1, math.ceil(not_before - now))


def _lifetime_s() -> int:
    # A key must outlive the longest wait it can hold, or a wait would vanish with it.
    return max(settings.LOGIN_FAILURE_WINDOW_S, settings.LOGIN_MAX_DELAY_S)


def _ip_bucket(ip: str) -> str:
    """An IPv6 client normally holds a whole /64, so one is counted as one address."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


# --- Counters ----------------------------------------------------------------------


def _count_attempt(key: str, now: float) -> Counter:
    """Add one attempt to ``key`` and return the item as it is after the ADD."""
    expires_at = math.ceil(now + _lifetime_s())
    for _ in range(3):
        item = Counter(key)
        try:
            item.update(
                actions=[Counter.count.add(1), Counter.expires_at.set(expires_at)],
                condition=Counter.expires_at.does_not_exist() | (Counter.expires_at > now),
            )
            return item
        except UpdateError as error:
            if not condition_failed(error):
                raise
        # Past its expiry but not yet deleted (TTL deletion is lazy): start it over, unless
        # a parallel attempt just did, in which case the ADD above now applies.
        try:
            item.update(
                actions=[
                    Counter.count.set(1),
                    Counter.expires_at.set(expires_at),
                    Counter.not_before.remove(),
                ],
                condition=Counter.expires_at <= now,
            )
            return item
        except UpdateError as error:
            if not condition_failed(error):
                raise
    raise Busy(gettext("Log-in is busy right now. Please try again."))


def _claim_slot(key: str, *, excess: int, now: float) -> None:
    """Take the key's next slot, or raise LoginThrottled naming when the next one opens."""
    delay = delay_s(excess)
    try:
        Counter(key).update(
            actions=[Counter.not_before.set(now + delay)],
            # count exists: the key was not cleared by a success since this attempt counted
            # (a claim must not recreate it without its expiry).
            condition=Counter.count.exists()
            & (Counter.not_before.does_not_exist() | (Counter.not_before <= now)),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
        # Another attempt took this slot first.
        try:
            not_before = Counter.get(key, consistent_read=True).not_before
        except DoesNotExist:
            not_before = None
        raise LoginThrottled(_retry_after(not_before or now, now)) from None


def _forget(key: str) -> None:
    Counter(key).delete()


def _refund(key: str, now: float) -> None:
    """Take back one attempt: a success is not a guess, so an address shared by many
    people (an office, a carrier NAT) is not slowed by their log-ins."""
    try:
        Counter(key).update(
            actions=[Counter.count.add(-1)],
            condition=(Counter.count > 0) & (Counter.expires_at > now),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise


# --- Attempts ----------------------------------------------------------------------


def login_attempt_begin(*, email: str, ip: str, device_cookie: str = "") -> LoginAttempt:
    """Count one log-in attempt and decide whether its password may be checked.

    Raises LoginThrottled when it may not. ``email`` must already be normalized."""
    now = _now()
    device_id = trusted_device_id(device_cookie, email=email)
    source = f"device#{device_id}" if device_id else UNTRUSTED
    gates = []
    if device_id is None:
        # Checked first: an address that is guessing at many accounts is refused before
        # it can spend the slots of the accounts it targets.
        gates.append((f"login#ip#{_ip_bucket(ip)}", settings.LOGIN_FAILURES_PER_IP))
    account_key = f"login#account#{email}#{source}"
    gates.append((account_key, settings.LOGIN_FAILURES_PER_ACCOUNT))

    counted = [(key, free, _count_attempt(key, now)) for key, free in gates]
    # A key that is already waiting refuses at once, before any slot is spent.
    for _key, free, item in counted:
        if int(item.count) > free and item.not_before is not None and item.not_before > now:
            raise LoginThrottled(_retry_after(item.not_before, now))
    for key, free, item in counted:
        if int(item.count) > free:
            _claim_slot(key, excess=int(item.count) - free, now=now)
    return LoginAttempt(
        account_key=account_key,
        ip_key=gates[0][0] if device_id is None else None,
        now=now,
    )


def login_attempt_succeeded(attempt: LoginAttempt) -> None:
    """The password was right: this account and source start again from zero."""
    _forget(attempt.account_key)
    if attempt.ip_key is not None:
        _refund(attempt.ip_key, attempt.now)


# --- Device cookies ----------------------------------------------------------------


def _account_tag(email: str) -> str:
    # Keyed with SECRET_KEY: the cookie says which accounts it vouches for only to us.
    return salted_hmac(_DEVICE_SALT, email, algorithm="sha256").hexdigest()[:32]


def _device_payload(cookie: str) -> dict | None:
    if not cookie:
        return None
    try:
        payload = signing.loads(
            cookie, salt=_DEVICE_SALT, max_age=settings.LOGIN_DEVICE_COOKIE_AGE_S
        )
    except signing.BadSignature:  # also SignatureExpired
        return None
    if (
        not isinstance(payload, dict)
        or not isinstance(payload.get("d"), str)
        or not isinstance(payload.get("a"), list)
    ):
        return None
    return payload


def trusted_device_id(cookie: str, *, email: str) -> str | None:
    """The device id a valid cookie names, if it was issued at a log-in to ``email``."""
    payload = _device_payload(cookie)
    if payload is None or _account_tag(email) not in payload["a"]:
        return None
    return payload["d"]


def device_cookie_value(cookie: str, *, email: str) -> str:
    """A fresh device cookie that also vouches for ``email``, keeping this browser's id."""
    payload = _device_payload(cookie) or {"d": secrets.token_urlsafe(16), "a": []}
    tag = _account_tag(email)
    accounts = [tag] + [a for a in payload["a"] if a != tag]
    return signing.dumps(
        {"d": payload["d"], "a": accounts[:_DEVICE_MAX_ACCOUNTS]}, salt=_DEVICE_SALT
    )


def device_cookie_set(response, *, request, email: str) -> None:
    """After a successful password log-in: remember this browser for ``email``."""
    response.set_cookie(
        DEVICE_COOKIE,
        device_cookie_value(request.COOKIES.get(DEVICE_COOKIE, ""), email=email),
        max_age=settings.LOGIN_DEVICE_COOKIE_AGE_S,
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
        samesite="Lax",
    )
