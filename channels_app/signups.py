"""Sign-up confirmed by email, so the form tells nobody which emails have an account.

A request checks the form, then either stores a pending sign-up and mails its owner a
confirmation link, or, when the email already has an account, stores nothing and mails
the account's owner that someone tried. The person at the form gets the same page either
way; only the mailbox owner learns which it was. Following the link and pressing the
button creates the account (a GET changes nothing: mail scanners prefetch links).
"""

import hashlib
import logging
import secrets

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.mail import send_mail
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.debug import sensitive_variables

from channels_app import accounts
from channels_app.models import PendingSignup, User
from channels_app.selectors import user_get_by_email
from videoplatform.dynamodb import is_expired, item_or_none, now_s
from videoplatform.errors import ApplicationError, Conflict, DependencyUnavailable, NotFound
from videoplatform.ratelimit import counter_increment, enforce, window_for

logger = logging.getLogger(__name__)

SIGNUP_LINK_TTL_S = 24 * 3600
TOKEN_BYTES = 32

LINK_NOT_VALID = gettext_noop(
    "This sign-up link is not valid or has already been used. "
    "If your account exists, log in; otherwise sign up again."
)
LINK_EXPIRED = gettext_noop("This sign-up link has expired. Please sign up again.")


def token_digest(token: str) -> str:
    """The stored id of a pending sign-up: the SHA-256 of its link's token."""
    return hashlib.sha256(token.encode()).hexdigest()


@sensitive_variables("password", "password_hash")
def signup_request(
    *, email: str, display_name: str, password: str, ip: str, next_path: str = ""
) -> str:
    """Check the form and mail the address; returns the normalized email to show.

    Answers the same whether or not the email has an account (the password is hashed in
    both cases, so the time taken says nothing either).
    """
    enforce(
        f"signup#ip#{ip}",
        limit=settings.SIGNUPS_PER_IP_PER_HOUR,
        window_s=3600,
        message=_("Too many sign-ups from your network. Try again in an hour."),
    )
    email, display_name = accounts.clean_sign_up(
        email=email, display_name=display_name, password=password
    )
    password_hash = make_password(password)
    existing = user_get_by_email(email)
    if not _address_allows_another_email(email):
        # Said nowhere on the page: the answer must not depend on the address.
        logger.warning("sign-up emails to one address over the hourly limit; not sent")
        return email
    if existing is not None:
        _send_account_exists(email)
        return email
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = now_s()
    pending = PendingSignup(
        token_digest(token),
        email=email,
        display_name=display_name,
        password_hash=password_hash,
        next_path=next_path or None,
        created_at=now,
        expires_at=now + SIGNUP_LINK_TTL_S,
    )
    # Create-only, like every new item (256 random bits never meet an existing id).
    pending.save(condition=PendingSignup.signup_id.does_not_exist())
    _send_confirm_link(email, token)
    return email


def signup_pending_get(*, token: str) -> PendingSignup:
    """The pending sign-up a link names; NotFound when unknown or used, an error when expired."""
    pending = item_or_none(PendingSignup, token_digest(token or ""), consistent=True)
    if pending is None:
        raise NotFound(_(LINK_NOT_VALID))
    # TTL deletion is lazy: an item past its expiry may still be read.
    if is_expired(pending.expires_at):
        raise ApplicationError(_(LINK_EXPIRED))
    return pending


def signup_confirm(*, token: str) -> User:
    """Create the account a link names and forget the pending sign-up (links work once)."""
    pending = signup_pending_get(token=token)
    try:
        user = accounts.user_create_confirmed(
            email=pending.email,
            display_name=pending.display_name,
            password_hash=pending.password_hash,
        )
    except Conflict:
        pending.delete()
        raise
    pending.delete()
    return user


@sensitive_variables("password")
def _address_allows_another_email(email: str) -> bool:
    window = window_for(f"signup-mail#{email}", window_s=3600)
    return counter_increment(window) <= settings.SIGNUP_EMAILS_PER_ADDRESS_PER_HOUR


def _site_url(path: str) -> str:
    # From settings, never from the request's Host header, which a sender could forge to
    # get our email pointing at their site.
    return settings.SITE_URL.rstrip("/") + path


# The emails carry nothing the person at the form typed except the address itself, so the
# form cannot be used to send someone a message of the sender's choosing.


def _send_confirm_link(email: str, token: str) -> None:
    link = _site_url(reverse("signup_confirm", kwargs={"token": token}))
    _send(
        email,
        subject=_("Finish signing up to Tube"),
        body=_(
            "Someone, hopefully you, asked to sign up to Tube with this email address.\n\n"
            'To finish, open this link and press "Create my account" within 24 hours:\n\n'
            "%(link)s\n\n"
            "If it was not you, ignore this email: no account is created without the link.\n"
        )
        % {"link": link},
    )


def _send_account_exists(email: str) -> None:
    login = _site_url(reverse("login"))
    _send(
        email,
        subject=_("Someone tried to sign up to Tube with your address"),
        body=_(
            "Someone tried to sign up to Tube with this email address, which already has "
            "an account.\n\n"
            "If it was you, log in instead:\n\n%(login)s\n\n"
            "If it was not you, you can ignore this email: nothing about your account "
            "has changed.\n"
        )
        % {"login": login},
    )


def _send(email: str, *, subject: str, body: str) -> None:
    try:
        send_mail(subject, body, None, [email])
    except OSError as error:  # smtplib's errors are OSErrors, like the socket's
        logger.warning("sign-up email not sent: %s", type(error).__name__)
        raise DependencyUnavailable("email") from error
