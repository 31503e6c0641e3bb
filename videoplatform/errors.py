"""The application-wide error classes services raise and views turn into messages."""


class ApplicationError(Exception):
    """A readable reason why an action could not be done; nothing was changed."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(ApplicationError):
    status_code = 404


class PermissionDenied(ApplicationError):
    status_code = 403


class Conflict(ApplicationError):
    status_code = 409


class RateLimited(ApplicationError):
    status_code = 429


class DependencyUnavailable(Exception):
    """DynamoDB or S3 did not answer; pages render 503 until it is back."""


class Busy(ApplicationError):
    """A hot item stayed contended (throttled, or transactions kept conflicting) after
    retries with backoff: nothing was changed, and the person may simply try again."""

    status_code = 503
