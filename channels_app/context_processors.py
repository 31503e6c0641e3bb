from functools import partial

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from channels_app import preferences
from channels_app.selectors import channels_in_nav


def current_user(request):
    user = getattr(request, "user", None)
    return {
        "user": user,
        "auth_backend": settings.AUTH_BACKEND,
        # Lazy: a page that never shows it (the 503 page while DynamoDB is down) never
        # loads the signed-in user for it.
        "theme": SimpleLazyObject(partial(preferences.theme_for, request)),
        # Called by the template only where the navigation lists them.
        "nav_channels": partial(_nav_channels, user),
    }


def _nav_channels(user) -> list[dict]:
    if user is None or not user.is_authenticated:
        return []
    return channels_in_nav(user.user_id)
