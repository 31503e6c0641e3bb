"""Parts of a page that are the same for every viewer, rendered once per remembered page.

A listing a process remembers for a few seconds (the home feed's first page, a channel's
first page, a video's first page of comments) carries a ``fragments`` dict. The first
request that needs a part renders it and leaves it there; the requests that get the same
remembered page during its lifetime reuse the HTML. When the page is forgotten (its TTL,
or a write in this process), its fragments go with it, so a fragment is never older than
the data it was rendered from.

Only what is identical for every viewer of a kind goes into a fragment. What differs per
request (the CSRF token, a form's client token, controls on one's own comments) is
rendered with a placeholder and filled in per request (``fill``).
"""

from collections.abc import Callable

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from videoplatform.local_cache import MISSING, LocalCache

# In shared HTML, where each response's own CSRF token goes (filled by ``fill``).
CSRF_PLACEHOLDER = "@@csrf-token@@"
# A page's fragments are few (one per kind of viewer or per neighbouring video); past
# this many, more are rendered per request rather than kept.
MAX_FRAGMENTS = 64


def fragment(store: dict, name: str, render: Callable[[], str]) -> SafeString:
    """The fragment ``name`` of a remembered page: rendered on first use, then reused
    (one per language: the words in it are translated)."""
    name = f"{get_language()}:{name}"
    html = store.get(name)
    if html is None:
        html = mark_safe(render())  # noqa: S308 - the output of a template render
        if len(store) < MAX_FRAGMENTS:
            store[name] = html  # a race renders it twice; either copy is the same
    return html


def fill(html: str, values: dict[str, str]) -> SafeString:
    """``html`` with each placeholder replaced by its (already escaped) value."""
    for placeholder, value in values.items():
        html = html.replace(placeholder, value)
    return mark_safe(html)  # noqa: S308 - values are tokens made by the server


def shell(cache: LocalCache, name: str, key: tuple | None, render: Callable[[], str]):
    """A page's main part kept in ``cache`` under ``name`` while ``key`` (what it was
    rendered from: serials of remembered values, the values shown) stays the same; a
    ``key`` of None (something not remembered) renders it for this request only.

    Returns (html, variants): ``variants`` is a dict kept with the shell for the few
    renderings of the viewer's own controls (``fragment(variants, ...)``). One per
    language."""
    name = f"{get_language()}:{name}"
    entry = cache.get(name) if key is not None else MISSING
    if entry is MISSING or entry[0] != key:
        entry = (key, render(), {})
        if key is not None:
            cache.set(name, entry)
    return entry[1], entry[2]
