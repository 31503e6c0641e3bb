"""Video cards carry what people choose a video by: the thumbnail with its length, the
title, the channel (avatar and name, linking to it), the views and how long ago it was
published. The channels are looked up once per rendered page, from what the process
remembers, the rest in one batch read."""

import re

from botocore.client import BaseClient
from django.test import Client

from channels_app import recent as channels_recent
from channels_app.models import Channel
from channels_app.selectors import channel_get
from conftest import make_channel, make_user
from social_app.tests.factories import make_ready_video
from videoplatform.tallies import tally_add, video_subject
from videoplatform.templatetags import ui
from videoplatform.testing.requests import count_dynamodb_requests
from videos_app.cards import render_grid
from videos_app.models import Video
from videos_app.selectors import video_get, videos_by_id

DAY_S = 24 * 3600


def card_of(html: str, video_id: str) -> str:
    """The <li> of the card that links to ``video_id``."""
    for card in re.findall(r'<li class="video-card">.*?</li>', html, re.S):
        if f'href="/watch/{video_id}/"' in card:
            return card
    raise AssertionError(f"no card for {video_id}")


def with_duration(video, seconds):
    video.update(actions=[Video.duration_s.set(seconds)])
    return video_get(video.video_id, consistent=True)


def three_days_later(monkeypatch):
    """The relative dates are written as if three days had passed since now."""
    original = ui.ago_text
    monkeypatch.setattr(ui, "ago_text", lambda epoch_s, now_s: original(epoch_s, now_s + 3 * DAY_S))


def test_card_shows_channel_duration_views_and_date(monkeypatch):
    """Observation 3: a home page card names its channel (avatar initial and name,
    linking to the channel), shows the length on the thumbnail, the views in short
    form and how long ago the video was published."""
    owner = make_user()
    channel = make_channel(owner=owner, name="Cardigan Cats")
    video = make_ready_video(owner=owner, channel=channel, title="Cats in cardigans")
    with_duration(video, 125)
    tally_add(video_subject(video.video_id), views=1234)
    three_days_later(monkeypatch)

    card = card_of(Client().get("/").content.decode(), video.video_id)

    assert (
        '<span class="duration-badge"><span class="visually-hidden">Duration </span>2:05</span>'
        in card
    )
    assert f'<a class="card-channel" href="/c/{channel.handle}/">' in card
    assert ">Cardigan Cats</span>" in card
    assert '<span class="card-avatar placeholder" aria-hidden="true">C</span>' in card
    assert ">1.2K views</span>" in card
    assert "3 days ago</time>" in card and "<time datetime=" in card
    # One link to the video (thumbnail and title together), one to the channel.
    assert card.count(f'href="/watch/{video.video_id}/"') == 1
    assert card.count("<a ") == 2
    assert 'alt=""' in card or "poster-placeholder" in card


def test_card_of_a_video_of_unknown_length_has_no_duration_badge():
    video = make_ready_video(title="Length not known")
    assert video.duration_s is None
    card = card_of(Client().get("/").content.decode(), video.video_id)
    assert "duration-badge" not in card and "Duration" not in card
    assert ">0 views</span>" in card


def test_card_date_falls_back_to_when_the_video_was_created(monkeypatch):
    video = make_ready_video(title="Never published?")
    video.published_at = None
    three_days_later(monkeypatch)
    card = card_of(render_grid([video]), video.video_id)
    assert "3 days ago</time>" in card


def test_card_shows_the_channel_avatar_image():
    owner = make_user()
    channel = make_channel(owner=owner, name="Avatar Channel")
    video = make_ready_video(owner=owner, channel=channel, title="With an avatar")
    key = f"channels/{channel.channel_id}/avatar/a.png"
    channel_get(channel.channel_id).update(actions=[Channel.avatar_key.set(key)])

    card = card_of(Client().get("/").content.decode(), video.video_id)

    avatar = re.search(r'<img class="card-avatar" src="([^"]+)" alt=""', card)
    assert avatar and key in avatar.group(1).replace("&amp;", "&")
    assert "card-avatar placeholder" not in card


def test_cards_read_each_channel_once_in_one_batch_then_nothing(monkeypatch):
    """Three videos of two channels: the channels are read in one BatchGetItem of two
    keys when the process does not remember them, and not at all when it does."""
    one, two = make_user(), make_user()
    first, second = make_channel(owner=one), make_channel(owner=two)
    made = [
        make_ready_video(owner=one, channel=first, title="One"),
        make_ready_video(owner=one, channel=first, title="Two"),
        make_ready_video(owner=two, channel=second, title="Three"),
    ]
    videos = list(videos_by_id([v.video_id for v in made]).values())
    channels_recent.by_id.discard(first.channel_id)
    channels_recent.by_id.discard(second.channel_id)
    requests = []
    original = BaseClient._make_api_call

    def recording(client, operation, params):
        requests.append((operation, params))
        return original(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
    html = render_grid(videos)
    assert [operation for operation, _ in requests] == ["BatchGetItem"]
    keys = requests[0][1]["RequestItems"][Channel.Meta.table_name]["Keys"]
    assert sorted(k["channel_id"]["S"] for k in keys) == sorted(
        [first.channel_id, second.channel_id]
    )
    assert html.count(f'href="/c/{first.handle}/"') == 2
    monkeypatch.undo()

    with count_dynamodb_requests() as calls:
        render_grid(videos)
    assert calls == []


def test_a_channel_page_grid_leaves_out_the_channel_it_is_on():
    video = make_ready_video(title="On its own channel")
    channel = channel_get(video.channel_id)
    page = Client().get(f"/c/{channel.handle}/").content.decode()
    card = card_of(page, video.video_id)
    assert "card-channel" not in card and ">0 views</span>" in card
