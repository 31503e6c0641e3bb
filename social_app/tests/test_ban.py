"""A ban is one state change with one meaning: everything the banned user made leaves
every list and feed, in-flight work finishes hidden, live sessions end and their keys
stop working; unban restores what the ban hid."""

import pytest
from django.conf import settings

from channels_app.accounts import user_set_role
from channels_app.models import Role
from conftest import make_channel, make_user, sign_in
from live_app import services as live_services
from live_app.models import LiveStatus
from live_app.selectors import session_get
from live_app.tests.test_live import recording_event, stream_event
from social_app import moderation, services
from social_app.fanout import fanout_run_once
from social_app.models import FanoutTask, Notification
from social_app.selectors import liked_videos, subscription_feed
from social_app.tests.factories import make_ready_video
from videoplatform.errors import NotFound, PermissionDenied
from videoplatform.events import handle_event
from videos_app import services as video_services
from videos_app.models import Video, VideoStatus
from videos_app.replays import replay_video_id
from videos_app.selectors import public_feed, video_get
from videos_app.tests.factories import start_upload


@pytest.fixture
def moderator():
    user = make_user()
    user_set_role(user=user, role=Role.MODERATOR, granted=True)
    return user


@pytest.fixture
def session(creator, creator_channel):
    return live_services.live_session_create(
        actor=creator, channel_id=creator_channel.channel_id, title="Morning show"
    )


def drain() -> None:
    while fanout_run_once(worker_id="test"):
        pass


def processing_video(owner, channel) -> Video:
    video, _ = start_upload(actor=owner, channel=channel, title="In flight")
    video.update(actions=[Video.status.set(str(VideoStatus.PROCESSING)), Video.job_id.set("job-x")])
    return video_get(video.video_id, consistent=True)


class TestInFlight:
    def test_transcode_finishing_after_the_ban_stays_hidden(
        self, creator, creator_channel, moderator
    ):
        """A video transcoding when its owner is banned finishes ready but unlisted and
        unannounced; unban lists it."""
        video = processing_video(creator, creator_channel)
        moderation.user_ban(moderator=moderator, user_id=creator.user_id, reason="Spam")
        fresh = video_get(video.video_id, consistent=True)
        assert video_services.video_publish(video=fresh, outputs={"playlist_key": "hls/x/m.m3u8"})
        done = video_get(video.video_id, consistent=True)
        assert done.status == VideoStatus.READY and not done.listed
        assert not list(FanoutTask.query(f"video#{video.video_id}"))
        moderation.user_unban(moderator=moderator, user_id=creator.user_id, reason="Appeal")
        assert video_get(video.video_id, consistent=True).listed

    def test_a_ban_racing_the_publish_wins(self, creator, creator_channel, moderator):
        """The publish read the video before the ban landed: its conditional write sees
        the ban, reads again, and publishes the video unlisted."""
        stale = processing_video(creator, creator_channel)
        moderation.user_ban(moderator=moderator, user_id=creator.user_id, reason="Spam")
        assert stale.owner_banned is False  # the copy the publish holds predates the ban
        assert video_services.video_publish(video=stale, outputs={"playlist_key": "hls/y/m.m3u8"})
        done = video_get(stale.video_id, consistent=True)
        assert done.status == VideoStatus.READY and not done.listed
        assert stale.video_id not in [v.video_id for v in public_feed(limit=100).items]


class TestFeeds:
    def test_subscription_feed_and_liked_list_drop_a_banned_owners_video(self, moderator):
        """A follower's feed and liked list stop showing the video once its owner is
        banned."""
        owner = make_user()
        channel = make_channel(owner=owner)
        fan = make_user()
        services.subscription_set(user=fan, channel_id=channel.channel_id, subscribed=True)
        video = make_ready_video(owner=owner, channel=channel)
        drain()
        services.like_set(user=fan, video_id=video.video_id, liked=True)
        assert video.video_id in [v.video_id for v in subscription_feed(user=fan).items]
        assert video.video_id in [v.video_id for v in liked_videos(user=fan).items]
        moderation.user_ban(moderator=moderator, user_id=owner.user_id, reason="Spam")
        assert video.video_id not in [v.video_id for v in subscription_feed(user=fan).items]
        assert video.video_id not in [v.video_id for v in liked_videos(user=fan).items]

    def test_liked_list_drops_a_video_made_private(self, client):
        """A liked video its owner made private leaves the liker's list, title and all."""
        owner = make_user()
        video = make_ready_video(owner=owner, title="Soon private")
        fan = make_user()
        services.like_set(user=fan, video_id=video.video_id, liked=True)
        video_services.video_update(
            actor=owner, video=video, title="Soon private", description="", visibility="private"
        )
        assert video.video_id not in [v.video_id for v in liked_videos(user=fan).items]
        sign_in(client, fan)
        assert b"Soon private" not in client.get("/feed/liked/").content

    def test_report_form_hides_a_private_videos_title(self, client):
        """/report/ for a private video answers 404 to someone who cannot watch it,
        without its title."""
        owner = make_user()
        video = make_ready_video(owner=owner, title="Secret title", visibility="private")
        sign_in(client, make_user())
        response = client.get("/report/", {"type": "video", "id": video.video_id})
        assert response.status_code == 404
        assert b"Secret title" not in response.content
        with pytest.raises(NotFound):
            moderation.resolve_target("video", video.video_id, user=make_user())


class TestLive:
    def test_ban_ends_a_waiting_session_and_its_key_is_refused(self, creator, session, moderator):
        """A session made before the ban is ended, and its key no longer authorizes a
        publish at connect."""
        assert live_services.live_authorize_publish(stream_key=session.stream_key)
        moderation.user_ban(moderator=moderator, user_id=creator.user_id, reason="Spam")
        assert session_get(session.stream_id, consistent=True).status == LiveStatus.ENDED
        with pytest.raises(PermissionDenied):
            live_services.live_authorize_publish(stream_key=session.stream_key)

    def test_live_stream_is_ended_notices_withheld_and_replay_hidden(
        self, creator, creator_channel, session, moderator
    ):
        """Banned while live: the session ends, subscribers waiting for the "is live"
        fan-out are not told, and the recording becomes a hidden replay."""
        fan = make_user()
        services.subscription_set(user=fan, channel_id=creator_channel.channel_id, subscribed=True)
        handle_event(stream_event(session, "Stream Start"))
        moderation.user_ban(moderator=moderator, user_id=creator.user_id, reason="Spam")
        drain()
        assert not any("is live" in n.text for n in Notification.query(fan.user_id))
        assert session_get(session.stream_id, consistent=True).status == LiveStatus.ENDED
        handle_event(
            recording_event(
                session.channel_arn,
                bucket="ivs-recordings",
                key=f"ivs/v1/1/{session.stream_id}/2026/12/3/10/0/abc",
            )
        )
        replay = video_get(replay_video_id(session.stream_id), consistent=True)
        assert replay.owner_banned and not replay.listed
        assert replay.status == VideoStatus.READY
        assert settings.S3_RAW_BUCKET != "ivs-recordings"
