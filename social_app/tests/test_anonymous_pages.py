"""Anonymous visitors: Like and Subscribe are links to the log-in page (not forms that
answer with it), and pages with nothing to post set no CSRF cookie."""

from django.conf import settings
from django.test import Client

from channels_app.selectors import channel_get
from social_app.tests.factories import make_ready_video


def test_like_and_subscribe_lead_an_anonymous_viewer_to_log_in_and_back():
    video = make_ready_video()
    page = Client().get(f"/watch/{video.video_id}/").content.decode()
    like = page.split('id="like-button"')[1].split("</span></span>")[0]
    assert f'href="/accounts/login/?next=/watch/{video.video_id}/"' in like
    assert "<form" not in like
    channel = channel_get(video.channel_id)
    channel_page = Client().get(f"/c/{channel.handle}/").content.decode()
    assert f'/accounts/login/?next=/c/{channel.handle}/">Subscribe</a>' in channel_page


def test_home_and_channel_pages_set_no_csrf_cookie_for_anonymous_visitors():
    video = make_ready_video()
    channel = channel_get(video.channel_id)
    for path in ("/", f"/c/{channel.handle}/"):
        response = Client().get(path)
        assert response.status_code == 200
        assert settings.CSRF_COOKIE_NAME not in response.cookies, path
        assert "csrfmiddlewaretoken" not in response.content.decode()
