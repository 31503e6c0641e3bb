"""The page's chrome (header, navigation, footer: ``templates/_chrome_<part>.html``),
rendered with the page's own context.

For a visitor who is not signed in it depends only on the language, the theme and the
page's address (the log-in link and the footer's forms come back here), so it is kept a
few seconds per process under exactly those (VIDEO_CACHE_S): a popular page's visitors
share one rendering. A signed-in person's chrome (their name, channels, CSRF token) is
rendered for each request."""

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from videoplatform.local_cache import MISSING, LocalCache
from videoplatform.templatetags.ui import here

register = template.Library()

PARTS = ("header", "nav", "footer")
_visitors = LocalCache("VIDEO_CACHE_S", max_items=4_000)


@register.simple_tag(takes_context=True)
def chrome(context, part: str) -> str:
    if part not in PARTS:
        raise template.TemplateSyntaxError(f"no chrome part {part!r}")
    request = context["request"]
    user = context.get("user")
    if user is not None and user.is_authenticated:
        return _render(context, part)
    key = f"{part}|{get_language()}|{context.get('theme') or ''}|{here(request)}"
    html = _visitors.get(key)
    if html is MISSING:
        html = _render(context, part)
        _visitors.set(key, html)
    return html


def _render(context, part: str):
    found = context.template.engine.get_template(f"_chrome_{part}.html")
    return mark_safe(found.render(context))  # noqa: S308 - a template's output
