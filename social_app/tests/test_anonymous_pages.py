"""Anonymous visitors: Like and Subscribe are links to the log-in page (not forms that
answer with it), and pages with nothing to post set no CSRF cookie."""

import html
import re
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.test import Client

from channels_app.selectors import channel_get
from social_app.tests.factories import make_ready_video


def test_like_and_subscribe_lead_an_anonymous_viewer_to_log_in_and_back():
    video = make_ready_video()
    page = Client().get(f"/watch/{video.video_id}/").content.decode()
    like = page.split('id="like-button"')[1].split("</span></span>")[0]
    assert _login_next(like) == f"/watch/{video.video_id}/"
    assert "<form" not in like
    channel = channel_get(video.channel_id)
    channel_page = Client().get(f"/c/{channel.handle}/").content.decode()
    subscribe = channel_page.split('class="subscribe inline"')[1].split("</a>")[0]
    assert subscribe.endswith(">Subscribe")
    assert _login_next(subscribe) == f"/c/{channel.handle}/"


def _login_next(markup: str) -> str:
    """Where the log-in link in ``markup`` comes back to (its ``next``)."""
    href = html.unescape(re.search(r'href="(/accounts/login/\?[^"]*)"', markup).group(1))
    return parse_qs(urlsplit(href).query)["next"][0]


def test_home_and_channel_pages_set_no_csrf_cookie_for_anonymous_visitors():
    video = make_ready_video()
    channel = channel_get(video.channel_id)
    for path in ("/", f"/c/{channel.handle}/"):
        response = Client().get(path)
        assert response.status_code == 200
        assert settings.CSRF_COOKIE_NAME not in response.cookies, path
        assert "csrfmiddlewaretoken" not in response.content.decode()
