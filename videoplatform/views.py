"""Cross-cutting views: liveness and readiness checks, error pages, the favicon, the
language switch."""

import sys

from django.conf import settings
from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_safe

from videoplatform.aws import dynamodb_client, s3_client
from videoplatform.http import safe_next
from videoplatform.middleware import is_dependency_down


@never_cache
@require_safe
def healthz(request):
    """Liveness: 200 while the process serves requests; asks no dependency, so a DynamoDB
    or S3 outage does not make the load balancer replace every task (answered ahead of
    the host check and the HTTPS redirect by ``LivenessMiddleware``)."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request):
    """Readiness: 200 when DynamoDB and S3 both answer, 503 naming the one that does not."""
    checks = {}
    try:
        dynamodb_client().list_tables(Limit=1)
        checks["dynamodb"] = "ok"
    except Exception:  # noqa: BLE001 - any failure means the dependency is unusable
        checks["dynamodb"] = "unavailable"
    try:
        s3_client().head_bucket(Bucket=settings.S3_MEDIA_BUCKET)
        checks["s3"] = "ok"
    except Exception:  # noqa: BLE001
        checks["s3"] = "unavailable"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503
    )


def server_error(request):
    """The 500 handler: a dependency being down is a 503 with its own page."""
    error = sys.exc_info()[1]
    if error is not None and is_dependency_down(error):
        return render(request, "errors/503.html", status=503)
    return render(request, "errors/500.html", status=500)


def bad_request(request, exception=None):
    """The 400 handler. The exception's text is not shown: for a refused Host header it
    names the host and the ALLOWED_HOSTS setting."""
    return render(request, "errors/400.html", status=400)


def permission_denied(request, exception=None):
    message = getattr(exception, "message", None) or (str(exception) if exception else "")
    return render(request, "errors/403.html", {"message": message}, status=403)


def page_not_found(request, exception=None):
    """Our views raise ``Http404("No such channel.")`` for people to read; the URL
    resolver's own 404 (a subclass) carries the patterns it tried and is not shown."""
    message = ""
    if type(exception) is Http404 and exception.args and isinstance(exception.args[0], str):
        message = exception.args[0]
    return render(request, "errors/404.html", {"message": message}, status=404)


def csrf_failure(request, reason=""):
    return render(
        request,
        "errors/403.html",
        {
            "message": _(
                "The form expired or was not sent from this site. Reload the page and try again."
            )
        },
        status=403,
    )


@require_safe
@cache_control(public=True, max_age=24 * 3600)
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links to: send them to the icon.
    Not a permanent redirect: in production the target's name carries its hash, and a
    new icon must not wait for browsers to forget a redirect they were told never changes."""
    return HttpResponseRedirect(static("favicon.svg"))


@require_safe
def language_set(request):
    """The footer's language switch. Only the visitor's own cookie changes, so a plain GET
    form serves pages that carry no CSRF token."""
    code = request.GET.get("language", "")
    if code not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest(_("Choose one of the site's languages."))
    response = HttpResponseRedirect(safe_next(request))
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response
