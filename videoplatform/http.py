"""Small view helpers shared by the apps."""

from django.contrib import messages
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from videoplatform.errors import ApplicationError, NotFound, PermissionDenied


def safe_next(request, fallback: str = "/") -> str:
    """The ``next`` target if it stays on this site, else ``fallback`` (no open redirects)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        and target.startswith("/")
        and not target.startswith("//")
    ):
        return target
    return fallback


def error_page(request, error: ApplicationError):
    """403/404 pages for authorization and lookup errors."""
    if isinstance(error, PermissionDenied):
        return render(request, "errors/403.html", {"message": error.message}, status=403)
    if isinstance(error, NotFound):
        return render(request, "errors/404.html", {"message": error.message}, status=404)
    return None


def form_error(request, form, error: ApplicationError) -> None:
    """Attach a service error to its field when it names one, else to the page."""
    if error.field and error.field in form.fields:
        form.add_error(error.field, error.message)
    elif form is not None:
        form.add_error(None, error.message)
    else:
        messages.error(request, error.message)
