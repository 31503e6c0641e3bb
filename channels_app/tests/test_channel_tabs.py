"""A channel page has three tabs, plain links that work without JavaScript: Videos (the
default, and what an unknown tab shows), Live (the stream on air and the past ones) and
About (the description with its links, when the channel was made, its counts). The
current tab is marked aria-current="page". The header shows the counts in short form."""

import re
from datetime import UTC, datetime

from django.test import Client

from channels_app.selectors import channel_get, user_get
from conftest import make_channel, make_user
from live_app import services as live_services
from live_app.tests.events import stream_event
from social_app.tests.factories import make_ready_video
from videoplatform.events import handle_event
from videoplatform.tallies import channel_subject, tally_add
from videoplatform.testing.requests import count_dynamodb_requests


def page_of(channel, tab=None, client=None) -> str:
    response = (client or Client()).get(f"/c/{channel.handle}/", {"tab": tab} if tab else {})
    assert response.status_code == 200
    return response.content.decode()


def current_tabs(html: str) -> list[str]:
    nav = re.search(r'<nav class="channel-tabs".*?</nav>', html, re.S).group(0)
    return re.findall(r'<a href="[^"]*\?tab=(\w+)" aria-current="page">', nav)


def test_tabs_are_links_and_videos_is_the_default():
    video = make_ready_video(title="Default tab video")
    channel = channel_get(video.channel_id)
    page = page_of(channel)
    for tab in ("videos", "live", "about"):
        assert f'href="/c/{channel.handle}/?tab={tab}"' in page
    assert current_tabs(page) == ["videos"]
    assert "Default tab video" in page and 'class="video-grid"' in page
    assert current_tabs(page_of(channel, "videos")) == ["videos"]


def test_an_unknown_tab_shows_the_videos():
    video = make_ready_video(title="Shown for nonsense")
    channel = channel_get(video.channel_id)
    page = page_of(channel, "<script>")
    assert current_tabs(page) == ["videos"]
    assert "Shown for nonsense" in page and "<script>" not in page


def test_about_tab_shows_linked_description_joined_date_and_counts():
    owner = make_user()
    channel = make_channel(
        owner=owner, name="About Cats", description="Cats.\nMore at https://example.com/cats."
    )
    make_ready_video(owner=owner, channel=channel, title="Not on the About tab")
    tally_add(channel_subject(channel.channel_id), subscribers=3)

    page = page_of(channel, "about")

    assert current_tabs(page) == ["about"]
    about = page.split('<nav class="channel-tabs"', 1)[1]
    assert (
        '<a href="https://example.com/cats" rel="nofollow ugc noopener" target="_blank">'
        "https://example.com/cats</a>." in about
    )
    assert "Cats.<br>" in about
    joined = datetime.fromtimestamp(channel.created_at, tz=UTC)
    assert f">{joined:%b} {joined.day}, {joined.year}</time>" in about
    assert "<dt>Subscribers</dt><dd>3</dd>" in about
    assert "<dt>Videos</dt><dd>1</dd>" in about
    assert "Not on the About tab" not in page and 'class="video-grid"' not in page


def test_live_tab_shows_the_stream_on_air_and_past_streams():
    owner = make_user()
    channel = make_channel(owner=owner, name="Streamer")
    earlier = live_services.live_session_create(
        actor=owner, channel_id=channel.channel_id, title="Yesterday's stream"
    )
    handle_event(stream_event(earlier, "Stream Start"))
    handle_event(stream_event(earlier, "Stream End"))
    now = live_services.live_session_create(
        actor=owner, channel_id=channel.channel_id, title="On air now"
    )
    handle_event(stream_event(now, "Stream Start"))
    never = live_services.live_session_create(
        actor=owner, channel_id=channel.channel_id, title="Never started"
    )

    page = page_of(channel, "live")

    assert current_tabs(page) == ["live"]
    tab = page.split('<nav class="channel-tabs"', 1)[1]
    on_air = re.search(r'<a class="live-now-card" href="([^"]+)">(.*?)</a>', tab, re.S)
    assert on_air.group(1) == f"/live/{now.stream_id}/"
    assert '<span class="live-badge">LIVE</span>' in on_air.group(2)
    assert "On air now" in on_air.group(2)
    past = re.search(r'<ul class="past-streams">(.*?)</ul>', tab, re.S).group(1)
    assert f'href="/live/{earlier.stream_id}/"' in past and "Yesterday&#x27;s stream" in past
    assert now.stream_id not in past
    assert never.stream_id not in page and "Never started" not in page


def test_live_tab_of_a_channel_that_never_streamed_says_so():
    channel = make_channel(name="Quiet")
    page = page_of(channel, "live")
    assert current_tabs(page) == ["live"]
    assert '<p class="empty">Quiet has not streamed live yet.</p>' in page


def test_header_counts_in_short_form_on_every_tab():
    video = make_ready_video(title="Counted")
    channel = channel_get(video.channel_id)
    tally_add(channel_subject(channel.channel_id), subscribers=1234)
    for tab in ("videos", "live", "about"):
        page = page_of(channel, tab)
        assert '<span class="subscriber-count">1.2K subscribers</span>' in page
        assert '<span class="video-count">1 video</span>' in page


def test_each_tab_is_read_once_then_served_from_memory():
    video = make_ready_video(title="Remembered tabs")
    channel = channel_get(video.channel_id)
    owner = user_get(video.owner_user_id)
    live_services.live_session_create(actor=owner, channel_id=channel.channel_id, title="x")
    client = Client()
    for tab in ("videos", "live", "about"):
        page_of(channel, tab, client)
        with count_dynamodb_requests() as calls:
            page_of(channel, tab, client)
        assert calls == [], tab
