"""The site's own error pages (never Django's debug pages unless DJANGO_DEBUG=1), the
favicon and the web app manifest."""

import json
import os
import secrets
import subprocess
import sys
import xml.etree.ElementTree as ET
from urllib.parse import urljoin

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.test import RequestFactory

from channels_app import selectors as channel_selectors

# Text only Django's technical 404 / 500 pages carry.
DEBUG_PAGE_MARKERS = (
    b"Using the URLconf",
    b"Page not found (404)",
    b"Request Method",
    b"Traceback",
    b"DJANGO_SETTINGS_MODULE",
)
HOME_LINK = b'<a href="/">'


def assert_not_a_debug_page(response) -> None:
    for marker in DEBUG_PAGE_MARKERS:
        assert marker not in response.content, marker


def assert_our_404(response) -> None:
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"<h1>Not found</h1>" in response.content
    assert HOME_LINK in response.content
    assert b'class="topbar"' in response.content  # the site's layout around it
    assert_not_a_debug_page(response)


class TestNotFoundPages:
    def test_unknown_url(self, client):
        """An unknown URL answers our 404 page, with none of the patterns the resolver
        tried (they are in the Resolver404 the handler receives)."""
        response = client.get("/no-such-page/at-all/")
        assert_our_404(response)
        assert b"We could not find that page." in response.content
        assert b"healthz" not in response.content and b"&lt;str:" not in response.content

    def test_unknown_channel_handle(self, client):
        """/c/<handle>/ for a handle nobody has answers our 404 with the view's message."""
        response = client.get(f"/c/nope{secrets.token_hex(4)}/")
        assert_our_404(response)
        assert b"No such channel." in response.content

    def test_unknown_live_id(self, client):
        """/live/<id>/ for a stream that does not exist answers our 404 with its message."""
        response = client.get(f"/live/{secrets.token_hex(8)}/")
        assert_our_404(response)
        assert b"No such live stream." in response.content

    def test_markers_do_detect_the_debug_page(self, client, settings):
        """With DEBUG on, the same unknown URL gets Django's technical 404: the markers the
        other tests look for are the ones that page has, so their absence means something."""
        settings.DEBUG = True
        response = client.get("/no-such-page/at-all/")
        assert response.status_code == 404
        assert b"Using the URLconf" in response.content
        assert b"Request Method" in response.content
        assert b"<h1>Not found</h1>" not in response.content


class TestOtherErrorPages:
    def test_disallowed_host_answers_our_400(self, client):
        """A Host header outside ALLOWED_HOSTS gets our 400 page, which names neither the
        host nor the setting (Django's message does both)."""
        response = client.get("/", HTTP_HOST="evil.example.com")
        assert response.status_code == 400
        assert b"<h1>Bad request</h1>" in response.content
        assert HOME_LINK in response.content
        assert b"evil.example.com" not in response.content
        assert b"ALLOWED_HOSTS" not in response.content
        assert_not_a_debug_page(response)

    def test_crash_answers_our_500(self, client, monkeypatch):
        """An unexpected exception in a view gets our 500 page without the error's text."""

        def crash(*args, **kwargs):
            raise RuntimeError("internal detail 0xdeadbeef")

        monkeypatch.setattr(channel_selectors, "channel_get_by_handle", crash)
        client.raise_request_exception = False
        response = client.get("/c/anyone/")
        assert response.status_code == 500
        assert b"<h1>Something went wrong</h1>" in response.content
        assert HOME_LINK in response.content
        assert b"0xdeadbeef" not in response.content and b"RuntimeError" not in response.content
        assert_not_a_debug_page(response)

    @pytest.mark.parametrize(
        ("template", "heading"),
        [
            ("errors/400.html", "Bad request"),
            ("errors/403.html", "Not allowed"),
            ("errors/404.html", "Not found"),
            ("errors/429.html", "Slow down"),
            ("errors/500.html", "Something went wrong"),
            ("errors/503.html", "Temporarily unavailable"),
        ],
    )
    def test_every_error_page_has_the_layout_and_a_way_home(self, template, heading):
        """Each error page has the site's stylesheet, top bar and icon, its heading in the
        title and a link to the home page."""
        html = render_to_string(template, request=RequestFactory().get("/"))
        assert f"<h1>{heading}</h1>" in html
        assert f"<title>{heading} · Tube</title>" in html
        assert "/static/css/site.css" in html
        assert '<a class="brand" href="/">' in html and "<span>Tube</span>" in html
        assert '<a href="/">' in html


class TestLocalSettingsShowOurPages:
    def test_make_run_settings_answer_our_pages(self):
        """With the settings `make run` uses (DJANGO_ENV=local, DJANGO_DEBUG unset) and no
        pytest-django in the process, an unknown URL, channel and live id get our 404 and
        a refused Host our 400, not Django's debug pages."""
        paths = ["/no-such-page/", f"/c/nope{secrets.token_hex(4)}/", "/live/nope/"]
        script = (
            "import json, sys, django; django.setup()\n"
            "from django.conf import settings\n"
            "from django.test import Client\n"
            "client = Client(HTTP_HOST='127.0.0.1', raise_request_exception=False)\n"
            "out = {'debug': settings.DEBUG}\n"
            "for path in sys.argv[1:]:\n"
            "    r = client.get(path)\n"
            "    out[path] = [r.status_code, r.content.decode()]\n"
            "r = Client(HTTP_HOST='evil.example.com').get('/')\n"
            "out['bad-host'] = [r.status_code, r.content.decode()]\n"
            "print(json.dumps(out))\n"
        )
        # The test session's servers and table prefix, with the local mode's defaults.
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_DEBUG"}
        env["DJANGO_ENV"] = "local"
        done = subprocess.run(
            [sys.executable, "-c", script, *paths],
            env=env,
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        out = json.loads(done.stdout.splitlines()[-1])
        assert out.pop("debug") is False
        status, page = out.pop("bad-host")
        assert status == 400 and "<h1>Bad request</h1>" in page
        for path in paths:
            status, page = out[path]
            assert status == 404, path
            assert "<h1>Not found</h1>" in page, path
            for marker in DEBUG_PAGE_MARKERS:
                assert marker.decode() not in page, (path, marker)


class TestFavicon:
    def test_favicon_ico_leads_to_the_svg_icon(self, client):
        """/favicon.ico (asked for by browsers whatever the page links) redirects to the
        SVG icon, which is served as image/svg+xml and is an SVG document."""
        response = client.get("/favicon.ico")
        assert response.status_code == 302
        assert response["Location"] == "/static/favicon.svg"
        assert "max-age=86400" in response["Cache-Control"]
        icon = client.get(response["Location"])
        assert icon.status_code == 200
        assert icon["Content-Type"] == "image/svg+xml"
        root = ET.fromstring(b"".join(icon.streaming_content))
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert root.get("viewBox") == "0 0 64 64"

    def test_favicon_ico_refuses_post(self, client):
        """Only GET and HEAD."""
        assert client.post("/favicon.ico").status_code == 405


class TestManifest:
    URL = "/static/manifest.webmanifest"

    def test_served_as_a_web_app_manifest(self, client):
        """The manifest is served with the manifest media type (whitenoise's own table
        has none for .webmanifest)."""
        response = client.get(self.URL)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/manifest+json"

    def test_fields_and_icons(self, client):
        """It parses as JSON, says how the app starts and looks, and every icon it names
        is a static file served with the type the manifest gives."""
        response = client.get(self.URL)
        manifest = json.loads(b"".join(response.streaming_content))
        assert manifest["name"] == "Tube" and manifest["short_name"] == "Tube"
        assert manifest["start_url"] == "/"
        assert manifest["display"] == "standalone"
        css = finders.find("css/site.css")
        with open(css, encoding="utf-8") as stylesheet:
            site_css = stylesheet.read()
        assert manifest["background_color"] == "#ffffff"  # Pico's light background
        assert f"--accent: {manifest['theme_color']}" in site_css
        assert manifest["icons"]
        for icon in manifest["icons"]:
            url = urljoin(self.URL, icon["src"])
            assert url.startswith(settings.STATIC_URL), url
            assert finders.find(url.removeprefix(settings.STATIC_URL)), url
            served = client.get(url)
            assert served.status_code == 200, url
            assert served["Content-Type"] == icon["type"], url
