from django.conf import settings


def current_user(request):
    return {
        "user": getattr(request, "user", None),
        "auth_backend": settings.AUTH_BACKEND,
    }
