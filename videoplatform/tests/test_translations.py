"""Every user-facing string is marked for translation, and the Vietnamese catalogue
translates all of them.

The template check reads each template with Django's own lexer: text between tags, and
the attributes people read (title, alt, placeholder, aria-label, data-confirm), must hold
no words outside ``{% translate %}`` / ``{% blocktranslate %}``, variables and tags."""

import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.template.base import Lexer, TokenType
from django.test import Client
from django.utils import translation

ROOT = Path(settings.BASE_DIR)
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
CATALOGUE = ROOT / "locale" / "vi" / "LC_MESSAGES" / "django.po"

# Words that are the same in every language: the product's name, units.
ALLOWED = {
    "Tube",
    "px",
    "MB",
    "GB",
    "KB",
    "HLS",
    "RTMP",
    "OBS",
    "ffmpeg",
    "URL",
    "@",
    "MP4",
    "WebM",
    "JPEG",
    "PNG",
    "WebP",
    "GIF",
    "SRT",
    "WebVTT",
    "UTC",
}
_TAG = re.compile(r"<[^>]*>", re.S)
_READ_ATTRS = re.compile(
    r"""\b(?:title|alt|placeholder|aria-label|data-confirm)\s*=\s*(["'])(.*?)\1""", re.S
)
_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.U)
_ENTITY = re.compile(r"&[a-zA-Z]+;|&#\d+;")


def _words(text: str) -> list[str]:
    text = _ENTITY.sub(" ", text)
    return [w for w in _WORD.findall(text) if w not in ALLOWED]


def untranslated(source: str) -> list[str]:
    """The words a template shows that are not marked for translation."""
    found = []
    skipping = 0  # inside {% comment %}
    markup = []  # the template's own text, tags and attributes included
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents else ""
            if name in ("comment", "blocktranslate", "blocktrans"):
                skipping += 1  # a comment, or text already marked
            elif name in ("endcomment", "endblocktranslate", "endblocktrans"):
                skipping -= 1
            markup.append("\0")  # a template tag splits the text around it
        elif token.token_type == TokenType.TEXT and not skipping:
            markup.append(token.contents)
        elif token.token_type == TokenType.VAR:
            markup.append("\0")
    text = "".join(markup)
    for _quote, value in _READ_ATTRS.findall(text):
        found += _words(value.replace("\0", " "))
    found += _words(_TAG.sub(" ", text).replace("\0", " "))
    return found


def test_the_check_finds_unmarked_words():
    sample = (
        '<p title="Hello">{% translate "Fine" %} Bare words</p>'
        "{% comment %}notes{% endcomment %}<a aria-label=\"{% translate 'Ok' %}\">{{ x }}</a>"
        "{% blocktranslate with n=x %}Marked {{ n }}{% endblocktranslate %}"
    )
    assert untranslated(sample) == ["Hello", "Bare", "words"]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "templates")))
def test_template_marks_every_string(path):
    words = untranslated(path.read_text(encoding="utf-8"))
    assert not words, f"not marked for translation: {' '.join(words[:20])}"


def test_catalogue_is_complete():
    """msgfmt compiles it with no untranslated or fuzzy entry."""
    result = subprocess.run(
        ["msgfmt", "--check-format", "--statistics", "-o", "/dev/null", str(CATALOGUE)],
        capture_output=True,
        text=True,
        check=True,
    )
    stats = result.stderr.strip()
    assert "untranslated" not in stats and "fuzzy" not in stats, stats
    assert re.match(r"\d+ translated messages?\.$", stats), stats


def test_pages_speak_vietnamese():
    body = Client(HTTP_ACCEPT_LANGUAGE="vi").get("/").content.decode()
    with translation.override("vi"):
        home = translation.gettext("Home")
        skip = translation.gettext("Skip to content")
    assert home != "Home" and skip != "Skip to content"
    assert home in body and skip in body
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get("/").content.decode()
    assert "Skip to content" in english and skip not in english
