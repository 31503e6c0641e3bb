"""What every viewer sees the same way is read once per process for a few seconds: the
video, its channel's newest videos, the home feed's first page. A write of a Video in
this process shows at once."""

from django.test import Client

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
    from channels_app.selectors import user_get

    owner = user_get(video.owner_user_id)
    video_for_viewer(video.video_id, user=owner)  # remembered
    services.video_update(
        actor=owner, video=video, title="Second title", description="", visibility="private"
    )
    assert video.video_id not in {v.video_id for v in public_feed().items}
    assert video_for_viewer(video.video_id, user=owner).title == "Second title"


def test_the_watch_page_reads_only_what_differs_per_viewer():
    video = make_ready_video()
    client = Client()
    client.get(f"/watch/{video.video_id}/")
    response, calls = _calls(lambda: client.get(f"/watch/{video.video_id}/"))
    assert response.status_code == 200
    assert sorted(calls) == ["BatchGetItem", "Query"]  # counts and state; the comments
