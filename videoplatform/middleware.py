"""Turn an unreachable DynamoDB or S3 into a clear 503 page instead of a 500; answer the
load balancer's liveness check before anything can refuse it."""

import logging

from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from django.shortcuts import render
from django.urls import resolve, reverse
from urllib3.exceptions import HTTPError as Urllib3HTTPError

from videoplatform.errors import ApplicationError, DependencyUnavailable
from videoplatform.http import error_page

logger = logging.getLogger(__name__)

_CONNECTION_ERRORS = (
    EndpointConnectionError,
    ConnectionClosedError,
    ConnectTimeoutError,
    ReadTimeoutError,
    Urllib3HTTPError,
    ConnectionError,
    DependencyUnavailable,
)


def is_dependency_down(error: BaseException) -> bool:
    """Walk the cause chain: PynamoDB wraps botocore's connection errors."""
    seen = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, _CONNECTION_ERRORS):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


class DependencyUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_dependency_down(exception):
            return None
        logger.warning(
            "storage unavailable while serving %s: %s", request.path, type(exception).__name__
        )
        return render(request, "errors/503.html", status=503)


class ApplicationErrorMiddleware:
    """A PermissionDenied or NotFound raised by a service becomes a 403 or 404 page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, ApplicationError):
            return error_page(request, exception)
        return None


class LivenessMiddleware:
    """Answers ``/healthz`` with its view before the rest of the stack runs.

    The load balancer's health check comes over plain HTTP, without X-Forwarded-Proto,
    with the task's private address as its Host: SecurityMiddleware would redirect it to
    HTTPS and CommonMiddleware refuse the Host (ALLOWED_HOSTS), and the task would never
    count as healthy. Every other path goes through the whole stack as before."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.path = reverse("healthz")
        self.view = resolve(self.path).func

    def __call__(self, request):
        if request.path_info == self.path:
            return self.view(request)
        return self.get_response(request)
