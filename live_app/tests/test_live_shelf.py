"""The home page's "Live now" shelf (observation 7: a live stream was not shown on the
home page): streams live now, each with a LIVE badge, its title and channel, linking
to its live page; never a stream that has not started or has ended, never one of a
hidden channel; nothing at all when nothing is live. Read once per few seconds per
process, so a home page view reads nothing for it."""

import re

from django.test import Client

from channels_app.models import Channel
from channels_app.selectors import channel_get
from conftest import make_channel, make_user
from live_app import services
from live_app.selectors import sessions_live_now
from live_app.tests.events import stream_event
from videoplatform.events import handle_event
from videoplatform.pagination import Page
from videoplatform.testing.requests import count_dynamodb_requests


def a_session(title="Cooking live", channel_name="Live Kitchen"):
    owner = make_user()
    channel = make_channel(owner=owner, name=channel_name)
    session = services.live_session_create(actor=owner, channel_id=channel.channel_id, title=title)
    return owner, channel, session


def go_live(session):
    assert handle_event(stream_event(session, "Stream Start")) == "applied"


def shelf_of(html: str) -> str:
    found = re.search(r'<section class="live-shelf".*?</section>', html, re.S)
    return found.group(0) if found else ""


def home() -> str:
    response = Client().get("/")
    assert response.status_code == 200
    return response.content.decode()


def test_home_shows_a_live_stream_in_the_live_now_shelf():
    _, channel, session = a_session(title="Sunday roast, live")
    go_live(session)

    shelf = shelf_of(home())

    assert ">Live now</h2>" in shelf
    card = re.search(
        rf'<li class="video-card live-card">((?:(?!</li>).)*/live/{session.stream_id}/.*?)</li>',
        shelf,
        re.S,
    ).group(1)
    assert f'<a class="card-video" href="/live/{session.stream_id}/">' in card
    assert '<span class="live-badge">LIVE</span>' in card
    assert ">Sunday roast, live</span>" in card
    assert f'href="/c/{channel.handle}/"' in card and ">Live Kitchen</span>" in card


def test_a_stream_not_started_or_ended_is_not_on_the_shelf():
    _, _, waiting = a_session(title="Not started yet")
    _, _, ended = a_session(title="Over already")
    go_live(ended)
    assert ended.stream_id in home()
    assert handle_event(stream_event(ended, "Stream End")) == "applied"

    page = home()

    assert f"/live/{waiting.stream_id}/" not in page and "Not started yet" not in page
    assert f"/live/{ended.stream_id}/" not in page and "Over already" not in page


def test_a_hidden_channels_stream_is_not_on_the_shelf():
    _, channel, session = a_session(title="Hidden stream")
    go_live(session)
    channel_get(channel.channel_id).update(actions=[Channel.owner_banned.set(True)])
    assert session.stream_id in {s.stream_id for s in sessions_live_now().items}

    page = home()

    assert f"/live/{session.stream_id}/" not in page and "Hidden stream" not in page


def test_the_shelf_is_left_out_when_nothing_is_live(monkeypatch):
    monkeypatch.setattr("live_app.shelf.sessions_live_now", lambda: Page())
    page = home()
    assert "live-shelf" not in page and "Live now" not in page
    assert "Latest videos" in page


def test_the_shelf_is_only_on_the_first_page():
    _, _, session = a_session(title="First page only")
    go_live(session)
    assert session.stream_id in home()
    response = Client().get("/", {"after": "not-a-cursor"})
    assert session.stream_id not in response.content.decode()


def test_a_home_page_with_a_live_stream_reads_nothing_once_remembered():
    _, _, session = a_session(title="Remembered")
    go_live(session)
    home()
    with count_dynamodb_requests() as calls:
        page = home()
    assert session.stream_id in page
    assert calls == []
