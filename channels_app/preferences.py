"""A person's display preferences: the colour theme, from their account when signed in,
else from a cookie of their own."""

from django.conf import settings

from channels_app.accounts import THEMES

THEME_COOKIE = "theme"
THEME_COOKIE_AGE_S = 365 * 24 * 3600
# What the forms send: "system" follows the device, stored as "".
_CHOICES = {"system": "", "light": "light", "dark": "dark"}


def theme_value(choice: str) -> str | None:
    """The stored value for a submitted choice, None when it is not one."""
    value = _CHOICES.get((choice or "").strip().lower())
    return value if value in THEMES else None


def theme_for(request) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return getattr(user, "theme", None) or ""
    return theme_value(request.COOKIES.get(THEME_COOKIE, "")) or ""


def remember_theme(response, theme: str) -> None:
    if theme:
        response.set_cookie(
            THEME_COOKIE,
            theme,
            max_age=THEME_COOKIE_AGE_S,
            samesite="Lax",
            httponly=True,
            secure=settings.SESSION_COOKIE_SECURE,
        )
    else:
        response.delete_cookie(THEME_COOKIE, samesite="Lax")
