"""Accounts: sign-up, password log-in, Cognito identities, roles and the ban status.
The only writer of the Users table (and of the email claims)."""

import logging
from types import SimpleNamespace

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables
from pynamodb.exceptions import TransactWriteError, UpdateError

from channels_app.login_throttle import login_attempt_begin, login_attempt_succeeded
from channels_app.models import Role, User, UserStatus
from channels_app.selectors import recent_users, user_get, user_get_by_email
from videoplatform.dynamodb import condition_failed, new_id, now_s, transaction
from videoplatform.errors import ApplicationError, Conflict, PermissionDenied
from videoplatform.models import UniqueClaim
from videoplatform.text import clean_text

logger = logging.getLogger(__name__)

DISPLAY_NAME_MAX = 50
THEMES = ("", "light", "dark")

# A dummy hash checked when the account does not exist, so a wrong email and a wrong
# password take the same time.
_DUMMY_HASH = None


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def email_claim(email: str) -> str:
    return f"email#{email}"


def clean_sign_up(*, email: str, display_name: str, password: str) -> tuple[str, str]:
    """The sign-up form's checks: the normalised email and display name, or
    ApplicationError naming the field. None depends on whether the email has an account."""
    email = normalize_email(email)
    try:
        validate_email(email)
    except ValidationError:
        raise ApplicationError(_("Enter a valid email address."), field="email") from None
    if len(email) > 254:
        raise ApplicationError(_("Enter a valid email address."), field="email")
    display_name = clean_text(
        display_name,
        field="display_name",
        label=_("Display name"),
        max_length=DISPLAY_NAME_MAX,
        required=True,
    )
    try:
        validate_password(password, user=SimpleNamespace(email=email, display_name=display_name))
    except ValidationError as error:
        raise ApplicationError(" ".join(error.messages), field="password") from None
    return email, display_name


def user_sign_up(*, email: str, display_name: str, password: str) -> User:
    """Create a local account at once (admin command, tests); the email is claimed in
    the same transaction. People sign up through ``signups`` (a confirmation link)."""
    email, display_name = clean_sign_up(email=email, display_name=display_name, password=password)
    user = User(
        new_id(),
        email=email,
        display_name=display_name,
        password_hash=make_password(password),
        roles=set(),
        status=UserStatus.ACTIVE,
        created_at=now_s(),
    )
    _create_user_with_claim(user)
    return user


def _create_user_with_claim(user: User) -> None:
    claim = UniqueClaim(email_claim(user.email), owner_id=user.user_id)
    try:
        with transaction() as tx:
            tx.save(claim, condition=UniqueClaim.claim_id.does_not_exist())
            tx.save(user, condition=User.user_id.does_not_exist())
    except TransactWriteError as error:
        if condition_failed(error):
            raise Conflict(_("An account with this email already exists."), field="email") from None
        raise


@sensitive_variables("password")
def user_authenticate(*, email: str, password: str, ip: str, device_cookie: str = "") -> User:
    """Check a password. Each attempt is counted before it is checked, and past a few
    attempts they are slowed down (login_throttle), raising LoginThrottled unchecked."""
    email = normalize_email(email)
    attempt = login_attempt_begin(email=email, ip=ip, device_cookie=device_cookie)
    user = user_get_by_email(email) if email else None
    global _DUMMY_HASH
    if user is None or not user.password_hash:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = make_password("not-a-real-password")
        check_password(password, _DUMMY_HASH)
        ok = False
    else:
        ok = check_password(password, user.password_hash)
    if not ok:
        raise ApplicationError(_("Email or password is incorrect."))
    login_attempt_succeeded(attempt)
    if user.is_banned:
        raise PermissionDenied(_("This account is suspended."))
    return user


def user_upsert_from_cognito(*, identity) -> User:
    """Create or refresh the user a Cognito ID token names; roles follow its groups."""
    user_id = f"cognito-{identity.sub}"
    roles = set()
    if identity.is_admin:
        roles.add(Role.ADMIN)
    if identity.is_moderator:
        roles.add(Role.MODERATOR)
    email = normalize_email(identity.email)
    existing = user_get(user_id)
    if existing is None:
        user = User(
            user_id,
            email=email,
            display_name=(identity.name or email)[:DISPLAY_NAME_MAX],
            cognito_sub=identity.sub,
            roles=roles,
            status=UserStatus.ACTIVE,
            created_at=now_s(),
        )
        try:
            _create_user_with_claim(user)
        except Conflict:
            raise Conflict(
                _("A local account already uses this email; sign in with your password.")
            ) from None
        return user
    if existing.is_banned:
        raise PermissionDenied(_("This account is suspended."))
    actions = [User.roles.set(roles) if roles else User.roles.remove()]
    existing.update(actions=actions)
    recent_users.discard(existing.user_id)
    return existing


def user_set_role(*, user: User, role: Role, granted: bool) -> User:
    if granted:
        user.update(actions=[User.roles.add({str(role)})])
        recent_users.discard(user.user_id)
    else:
        user.update(actions=[User.roles.delete({str(role)})])
        recent_users.discard(user.user_id)
    return user


def user_set_theme(*, user: User, theme: str) -> None:
    """Remember the colour theme chosen by this person ("" follows the device)."""
    if theme not in THEMES:
        raise ApplicationError(_("Choose light, dark or the device's setting."))
    action = User.theme.set(theme) if theme else User.theme.remove()
    user.update(actions=[action])
    recent_users.discard(user.user_id)


def user_set_banned(*, user: User, banned: bool) -> bool:
    """Ban or unban, conditional on the old status. False when it had changed."""
    new, old = (
        (UserStatus.BANNED, UserStatus.ACTIVE) if banned else (UserStatus.ACTIVE, UserStatus.BANNED)
    )
    try:
        user.update(actions=[User.status.set(str(new))], condition=User.status == str(old))
    except UpdateError as error:
        if condition_failed(error):
            return False
        raise
    finally:
        recent_users.discard(user.user_id)
    return True


def admin_create_or_promote(*, email: str, password: str) -> tuple[User, bool]:
    """Create an admin account, or make an existing account admin. Returns (user, created)."""
    existing = user_get_by_email(normalize_email(email))
    if existing is not None:
        return user_set_role(user=existing, role=Role.ADMIN, granted=True), False
    user = user_sign_up(email=email, display_name=email.split("@")[0], password=password)
    return user_set_role(user=user, role=Role.ADMIN, granted=True), True


def user_create_confirmed(*, email: str, display_name: str, password_hash: str) -> User:
    """Create a local account from a sign-up confirmed by email (checked when it was
    requested). Raises Conflict when the email got an account meanwhile."""
    user = User(
        new_id(),
        email=normalize_email(email),
        display_name=display_name,
        password_hash=password_hash,
        roles=set(),
        status=UserStatus.ACTIVE,
        created_at=now_s(),
    )
    try:
        _create_user_with_claim(user)
    except Conflict:
        raise Conflict(_("An account with this email already exists; log in.")) from None
    return user
