"""Small view helpers shared by the apps."""

import ipaddress

from django.conf import settings
from django.contrib import messages
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from videoplatform.errors import ApplicationError, NotFound, PermissionDenied


def _normalized_ip(value: str) -> str | None:
    """``value`` as one canonical address (an IPv4-mapped IPv6 one as IPv4), or None."""
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return str(address)


def client_ip(request) -> str:
    """The client's address. Behind ``TRUSTED_PROXY_HOPS`` proxies that each append the
    address they saw to X-Forwarded-For, it is the entry that many from the right; anything
    further left was sent by the client and could be anything. A request that did not pass
    every proxy (too few entries) or an entry that is not an address falls back to
    REMOTE_ADDR: the nearest proxy's address, never one the client chose."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    remote = _normalized_ip(remote) or remote or "unknown"
    hops = settings.TRUSTED_PROXY_HOPS
    if hops <= 0:
        return remote
    entries = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    if len(entries) < hops:
        return remote
    return _normalized_ip(entries[-hops]) or remote


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
