"""The design system's template tags: Lucide icons inline, relative dates, durations and
compact counts."""

import pytest
from django.template import Context, Template

from videoplatform.templatetags.ui import ago, ago_text, compact, duration, icon


class TestIcon:
    def test_inline_svg_hidden_from_assistive_technology(self):
        svg = icon("bell", 22, "bell-icon")
        assert svg.startswith('<svg class="icon bell-icon" width="22" height="22"')
        assert 'aria-hidden="true"' in svg and "<path" in svg
        assert "<!--" not in svg and svg.count("<svg") == 1

    @pytest.mark.parametrize("name", ["../../settings", "Bell", "bell.svg", ""])
    def test_only_vendored_names(self, name):
        with pytest.raises(ValueError):
            icon(name)

    def test_missing_icon_says_how_to_add_it(self):
        with pytest.raises(ValueError, match="vendor.lock"):
            icon("no-such-icon-here")

    def test_class_is_escaped(self):
        assert '"><script>' not in icon("bell", 20, '"><script>')

    def test_template_use(self):
        out = Template('{% load ui %}{% icon "house" 18 %}').render(Context())
        assert 'width="18"' in out and out.startswith("<svg")


class TestAgo:
    @pytest.mark.parametrize(
        ("elapsed", "text"),
        [
            (0, "just now"),
            (59, "just now"),
            (60, "1 minute ago"),
            (3 * 3600 + 5, "3 hours ago"),
            (24 * 3600, "1 day ago"),
            (13 * 24 * 3600, "1 week ago"),
            (65 * 24 * 3600, "2 months ago"),
            (800 * 24 * 3600, "2 years ago"),
            (-30, "just now"),  # a clock a little ahead
        ],
    )
    def test_largest_unit_that_fits(self, elapsed, text):
        assert ago_text(1_000_000_000 - elapsed, 1_000_000_000) == text

    def test_time_element_with_exact_date(self):
        html = ago(1_700_000_000)
        assert html.startswith('<time datetime="2023-11-14T22:13:20+00:00"')
        assert 'title="2023-11-14 22:13 UTC"' in html and "ago</time>" in html

    def test_nothing_for_no_date(self):
        assert ago(None) == "" and ago("") == ""


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0:00"), (42, "0:42"), (59.6, "1:00"), (605, "10:05"), (3723, "1:02:03"), (None, "")],
)
def test_duration(seconds, text):
    assert duration(seconds) == text


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (0, "0"),
        (999, "999"),
        (1000, "1K"),
        (1234, "1.2K"),
        (15321, "15K"),
        (3_400_000, "3.4M"),
        (None, "0"),
    ],
)
def test_compact(count, text):
    assert compact(count) == text


def test_player_labels_are_data_in_the_page_language():
    import json

    from django.utils import translation

    from videoplatform.templatetags.ui import player_labels

    html = player_labels()
    assert html.startswith('<script id="player-labels" type="application/json">')
    labels = json.loads(html[html.index(">") + 1 : html.rindex("</script>")])
    assert labels["play"] == "Play" and labels["quality"] == "Quality"
    with translation.override("vi"):
        vietnamese = player_labels()
    assert "Play" not in vietnamese and "Ph\\u00e1t" in vietnamese
