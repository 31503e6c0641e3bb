"""Log lines never carry a credential that sits in a URL path.

Django itself logs the path of a request it refuses ("Not Found: ...", "Forbidden (CSRF
token missing.): ..."); for an emailed sign-up link that path holds the link's token,
which may still be valid after a refused request (a failed CSRF check). The console
handler's filter masks it in every record, whichever logger wrote it."""

import logging
import re

# Path segments that are credentials: the token of an emailed sign-up link.
SECRET_IN_PATH = re.compile(r"(/accounts/signup/confirm/)[^/\s]+")


class HideSecretsInPaths(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = SECRET_IN_PATH.sub(r"\1[hidden]", message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True
