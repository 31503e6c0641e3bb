"""A channel page's main part is rendered once per remembered state and kind of viewer;
each viewer still gets their own subscribe state, and changes made here show at once."""

from django.test import Client

from channels_app.selectors import channel_get, user_get
from channels_app.services import channel_update
from conftest import make_user, sign_in
from social_app.services import subscription_set
from social_app.tests.factories import make_ready_video

MAIN = "channels_app/_channel_main.html"


def _page(client, channel) -> str:
    response = client.get(f"/c/{channel.handle}/")
    assert response.status_code == 200
    return response.content.decode()


def test_members_share_the_main_part_but_not_their_subscription(renders):
    video = make_ready_video()
    channel = channel_get(video.channel_id)
    subscriber, other = make_user(), make_user()
    subscription_set(user=subscriber, channel_id=channel.channel_id, subscribed=True)
    as_subscriber, as_other = sign_in(Client(), subscriber), sign_in(Client(), other)
    _page(as_subscriber, channel)
    renders.clear()
    mine, theirs = _page(as_subscriber, channel), _page(as_other, channel)
    assert renders.count(MAIN) == 0
    assert ">Subscribed<" in mine and 'name="notify"' in mine
    assert ">Subscribe<" in theirs and 'name="notify"' not in theirs
    assert "@@" not in mine + theirs


def test_the_owner_sees_edit_and_no_subscribe_button():
    video = make_ready_video()
    channel = channel_get(video.channel_id)
    page = _page(sign_in(Client(), user_get(video.owner_user_id)), channel)
    assert "Edit channel" in page and ">Subscribe<" not in page
    assert "Edit channel" not in _page(sign_in(Client(), make_user()), channel)


def test_a_subscription_or_rename_in_this_process_shows_at_once():
    video = make_ready_video()
    channel = channel_get(video.channel_id)
    viewer = make_user()
    client = sign_in(Client(), viewer)
    assert "0 subscribers" in _page(client, channel)
    subscription_set(user=viewer, channel_id=channel.channel_id, subscribed=True)
    page = _page(client, channel)
    assert "1 subscriber<" in page and ">Subscribed<" in page
    owner = user_get(video.owner_user_id)
    current = channel_get(channel.channel_id)
    channel_update(actor=owner, channel=current, name="New name", description="")
    assert "New name" in _page(client, channel)
