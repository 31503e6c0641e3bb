"""Who is signed in: the user id kept in the (DynamoDB-backed) Django session."""

from functools import wraps
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.middleware.csrf import rotate_token
from django.shortcuts import redirect

from channels_app.models import User
from channels_app.selectors import user_get

SESSION_USER_KEY = "_user_id"


class AnonymousUser:
    user_id = None
    display_name = ""
    email = ""
    is_authenticated = False
    is_admin = False
    is_moderator = False
    is_staff = False
    is_banned = False

    def __bool__(self) -> bool:
        return False


ANONYMOUS = AnonymousUser()


def session_login(request, user: User) -> None:
    # A new session key on log-in prevents session fixation; a new CSRF token too.
    request.session.cycle_key()
    request.session[SESSION_USER_KEY] = user.user_id
    rotate_token(request)
    request.user = user


def session_logout(request) -> None:
    request.session.flush()
    request.user = ANONYMOUS


def user_from_session(request):
    user_id = request.session.get(SESSION_USER_KEY)
    if not user_id:
        return ANONYMOUS
    user = user_get(user_id)
    if user is None or user.is_banned:
        return ANONYMOUS
    return user


def login_required(view):
    """Send anonymous visitors to log in and back.

    Django's own decorator imports ``django.contrib.auth.views``, which needs the auth
    and contenttypes ORM apps this project does not install.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        return redirect(f"{settings.LOGIN_URL}?{urlencode({'next': _return_path(request)})}")

    return wrapper


def _return_path(request) -> str:
    """Where logging in leads back to. The redirect after it is a GET, so a POST-only URL
    would answer 405: a form post returns to the same-site page it was sent from."""
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = urlsplit(request.META.get("HTTP_REFERER", ""))
    if referer.netloc == request.get_host() and referer.path.startswith("/"):
        return referer.path + (f"?{referer.query}" if referer.query else "")
    return "/"
