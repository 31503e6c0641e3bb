import re
import secrets

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()

_URL_RE = re.compile(r"https?://[^\s<>\"']+")
_TRAILING = ".,;:!?)]}"


@register.filter
def linkify(text: str) -> str:
    """Escape everything, then turn http(s) URLs into nofollow links."""
    escaped = escape(text or "")

    def link(match: re.Match) -> str:
        url = match.group(0)
        tail = ""
        while url and url[-1] in _TRAILING:
            tail = url[-1] + tail
            url = url[:-1]
        return f'<a href="{url}" rel="nofollow ugc noopener" target="_blank">{url}</a>{tail}'

    return mark_safe(_URL_RE.sub(link, escaped).replace("\n", "<br>"))  # noqa: S308 - input escaped above


@register.simple_tag
def client_token_field() -> str:
    """A hidden field with a fresh token: the post it sends counts once, however often
    it is sent (see videoplatform.idempotency)."""
    return mark_safe(
        f'<input type="hidden" name="client_token" value="{secrets.token_urlsafe(18)}">'
    )
