"""Counters stay exact: likes and subscriptions under 50 concurrent togglers, and the
watch page costs the same number of DynamoDB requests at 5 and at 300 comments."""

import random
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import make_channel, make_user, sign_in
from social_app import services
from social_app.models import SUBSCRIBER_SHARDS, Comment, Like, Subscription
from social_app.tests.factories import make_ready_video
from videoplatform.testing.requests import count_dynamodb_requests
from videos_app.selectors import video_get


@pytest.fixture(scope="module")
def fifty_users():
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda _: make_user(), range(50)))


class TestConcurrentCounters:
    def test_likes_under_concurrency(self, fifty_users):
        """50 users like/unlike at random, twice each, some repeating: like_count equals
        the number of Like items."""
        video = make_ready_video()

        def toggle(user):
            rng = random.Random(user.user_id)
            for _ in range(4):
                services.like_set(user=user, video_id=video.video_id, liked=rng.random() < 0.6)

        with ThreadPoolExecutor(16) as pool:
            list(pool.map(toggle, fifty_users))
        items = Like.count(video.video_id, consistent_read=True)
        assert video_get(video.video_id, consistent=True, with_counts=True).like_count == items
        assert items > 0

    def test_double_like_counts_once(self):
        """The same "like" twice (double click or replay) counts once."""
        video = make_ready_video()
        fan = make_user()
        assert services.like_set(user=fan, video_id=video.video_id, liked=True) == (True, 1)
        assert services.like_set(user=fan, video_id=video.video_id, liked=True) == (True, 1)
        assert services.like_set(user=fan, video_id=video.video_id, liked=False) == (False, 0)
        assert services.like_set(user=fan, video_id=video.video_id, liked=False) == (False, 0)

    def test_subscriptions_under_concurrency(self, fifty_users):
        """50 users subscribe/unsubscribe concurrently: subscriber_count equals the items."""
        channel = make_channel()

        def toggle(user):
            rng = random.Random(user.user_id + "s")
            for _ in range(4):
                services.subscription_set(
                    user=user, channel_id=channel.channel_id, subscribed=rng.random() < 0.6
                )

        with ThreadPoolExecutor(16) as pool:
            list(pool.map(toggle, fifty_users))
        items = sum(
            Subscription.channel_shard_index.count(f"{channel.channel_id}#{n}")
            for n in range(SUBSCRIBER_SHARDS)
        )
        from channels_app.selectors import channel_get

        assert channel_get(channel.channel_id, with_counts=True).subscriber_count == items


class TestWatchPageBudget:
    def _video_with_comments(self, n: int):
        video = make_ready_video()
        with Comment.batch_write() as batch:
            from videoplatform.dynamodb import new_ulid

            for i in range(n):
                batch.save(
                    Comment(
                        video.video_id,
                        new_ulid(),
                        user_id="u",
                        author_name=f"c{i}",
                        text=f"comment {i}",
                        created_at=0,
                    )
                )
        return video

    @pytest.mark.parametrize("signed_in", [False, True])
    def test_same_small_number_of_requests(self, client, signed_in):
        """Rendering /watch/<id>/ costs the same requests at 5 and 300 comments, at most 6."""
        few, many = self._video_with_comments(5), self._video_with_comments(300)
        if signed_in:
            sign_in(client, make_user())
            # Any earlier page leaves the session and user in this process's memory:
            # both measured pages start in that same state.
            client.get("/")
        counts = []
        for video in (few, many):
            with count_dynamodb_requests() as calls:
                response = client.get(f"/watch/{video.video_id}/")
            assert response.status_code == 200
            counts.append(len(calls))
        assert counts[0] == counts[1], counts
        assert 4 <= counts[0] <= 6, calls
