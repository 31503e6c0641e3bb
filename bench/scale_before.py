"""The "before" half of `python -m bench scale`: the old write path
(``bench/legacy_write_path.py``) in the bench's own ``legacy_`` tables, run in the
benchmark's own process."""

from __future__ import annotations

from bench.scale_half import Side


class LegacySide(Side):
    name = "before"

    def prepare(self, options) -> None:
        from bench import legacy_models
        from bench import legacy_write_path as legacy

        self.legacy, self.models = legacy, legacy_models
        legacy_models.create_tables()
        channels = [
            legacy.seed_channel(owner_user_id=f"owner{legacy.new_id()}")
            for _ in range(options.channels)
        ]

        def video(n: int) -> str:
            channel = channels[n % len(channels)]
            return legacy.seed_ready_video(channel=channel, title=f"Harbour walk no. {n}").video_id

        self.seed_videos(options, video)
        self.sub_channel_id = legacy.seed_channel(
            owner_user_id=f"owner{legacy.new_id()}"
        ).channel_id
        self.op_users = [f"user{legacy.new_id()}" for _ in range(options.ops)]
        self.hot_clients = [
            [f"user{legacy.new_id()}" for _ in range(options.users_per_client)]
            for _ in range(options.clients)
        ]

    def view(self, video_id, viewer_key):
        return self.legacy.view_record(video_id=video_id, viewer_key=viewer_key)

    def like(self, user, video_id, liked):
        self.legacy.like_set(user_id=user, video_id=video_id, liked=liked)

    def comment(self, user, video_id, text):
        self.legacy.comment_post(user_id=user, author_name="Bench", video_id=video_id, text=text)

    def subscribe(self, user, channel_id):
        self.legacy.subscription_set(user_id=user, channel_id=channel_id, subscribed=True)

    def counts(self, video_id):
        video = self.models.LegacyVideo.get(video_id, consistent_read=True)
        return int(video.view_count), int(video.like_count)

    def like_items(self, video_id):
        return self.models.LegacyLike.count(video_id, consistent_read=True)
