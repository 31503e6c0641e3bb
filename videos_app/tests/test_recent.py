"""What every viewer sees the same way is read once per process for a few seconds: the
video, its channel's newest videos, the home feed's first page. A write of a Video in
this process shows at once."""

from botocore.client import BaseClient
from django.test import Client

from channels_app.selectors import channel_get, user_get
from channels_app.services import channel_update
from conftest import make_user, sign_in
from live_app.models import LiveStatus, LivestreamSession
from live_app.selectors import live_now
from live_app.services import live_session_create
from social_app.models import Like, Subscription
from social_app.services import comment_post, like_set
from social_app.tests.factories import make_ready_video
from videoplatform.testing.requests import count_dynamodb_requests
from videos_app import services
from videos_app.selectors import public_feed, video_for_viewer


def _calls(fn):
    with count_dynamodb_requests() as calls:
        result = fn()
    return result, calls


def test_home_feed_first_page_is_read_once_per_ttl():
    client = Client()
    client.get("/")
    response, calls = _calls(lambda: client.get("/"))
    assert response.status_code == 200 and calls == []


def test_a_video_published_or_edited_in_this_process_shows_at_once():
    video = make_ready_video(title="First title")
    assert video.video_id in {v.video_id for v in public_feed().items}
    owner = user_get(video.owner_user_id)
    video_for_viewer(video.video_id, user=owner)  # remembered
    services.video_update(
        actor=owner, video=video, title="Second title", description="", visibility="private"
    )
    assert video.video_id not in {v.video_id for v in public_feed().items}
    assert video_for_viewer(video.video_id, user=owner).title == "Second title"


def test_the_watch_page_reads_only_what_differs_per_viewer(monkeypatch):
    video = make_ready_video()
    anonymous, viewer = Client(), sign_in(Client(), make_user())
    anonymous.get(f"/watch/{video.video_id}/")
    response, calls = _calls(lambda: anonymous.get(f"/watch/{video.video_id}/"))
    assert response.status_code == 200 and calls == []  # all of it shared
    viewer.get(f"/watch/{video.video_id}/")
    requests = []
    original = BaseClient._make_api_call

    def recording(client, operation, params):
        requests.append((operation, params))
        return original(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
    response = viewer.get(f"/watch/{video.video_id}/")
    assert response.status_code == 200
    assert [operation for operation, _ in requests] == ["BatchGetItem"]
    tables = sorted(requests[0][1]["RequestItems"])
    assert tables == sorted([Like.Meta.table_name, Subscription.Meta.table_name])


def test_a_like_or_comment_in_this_process_shows_in_the_counts_at_once():
    video = make_ready_video()
    viewer = make_user()
    client = sign_in(Client(), viewer)
    client.get(f"/watch/{video.video_id}/")  # counts remembered
    like_set(user=viewer, video_id=video.video_id, liked=True)
    comment_post(user=viewer, video_id=video.video_id, text="Counted at once")
    page = client.get(f"/watch/{video.video_id}/").content.decode()
    assert 'aria-pressed="true"' in page and '<span class="like-count">1</span>' in page
    assert '<span class="comment-count">1</span>' in page


def test_a_channel_page_reads_nothing_once_remembered():
    video = make_ready_video()
    channel = channel_get(video.channel_id)
    client = Client()
    client.get(f"/c/{channel.handle}/")
    response, calls = _calls(lambda: client.get(f"/c/{channel.handle}/"))
    assert response.status_code == 200 and video.title in response.content.decode()
    assert calls == []  # the channel, its counts, its videos and its live state: shared


def test_a_signed_in_visitor_of_a_channel_page_reads_only_their_subscription():
    video = make_ready_video()
    channel = channel_get(video.channel_id)
    client = sign_in(Client(), make_user())
    client.get(f"/c/{channel.handle}/")
    response, calls = _calls(lambda: client.get(f"/c/{channel.handle}/"))
    assert response.status_code == 200 and calls == ["GetItem"]


def test_a_channel_renamed_or_gone_live_in_this_process_shows_at_once():
    video = make_ready_video()
    channel = channel_get(video.channel_id)
    owner = user_get(video.owner_user_id)
    client = Client()
    client.get(f"/c/{channel.handle}/")
    channel_update(actor=owner, channel=channel, name="Renamed at once", description="")
    assert "Renamed at once" in client.get(f"/c/{channel.handle}/").content.decode()
    assert live_now(channel.channel_id) is None
    session = live_session_create(actor=owner, channel_id=channel.channel_id, title="On air")
    session.update(actions=[LivestreamSession.status.set(str(LiveStatus.LIVE))])
    assert live_now(channel.channel_id).stream_id == session.stream_id
