"""The "after" half of `python -m bench scale`: the app's own services, run in a child
process (``python -m bench.scale_bench --after-half OUT``) on the parent's stack, so a
refactor still under way can be waited for and retried with fresh code. The same child
entry runs the fan-out benchmark (``--fanout-half OUT``)."""

from __future__ import annotations

import importlib
import io
import json
import os
from concurrent.futures import ThreadPoolExecutor

from bench.capacity_meter import TableWrite, is_rate_limit_counter
from bench.scale_half import Side, run_half

# Per-user limits the services enforce (settings, read at call time): raised for the
# "after" half so the benchmark measures capacity, not the limiter.
RATE_LIMIT_SUFFIXES = ("_PER_MINUTE", "_PER_HOUR", "_PER_DAY")
RAISED_LIMIT = 1_000_000_000


def _not_operation_writes(write: TableWrite) -> bool:
    """Left out of the after figures: rate-limit counters, and the notification and
    feed writes the old copy does not make either."""
    return is_rate_limit_counter(write) or write.table in {"Notifications", "FeedEntries"}


class AppSide(Side):
    name = "after"
    excluded = staticmethod(_not_operation_writes)

    def prepare(self, options) -> None:
        from conftest import make_channel, make_user
        from social_app import services
        from social_app.models import Like
        from social_app.tests.factories import make_ready_video
        from videos_app import selectors

        if not hasattr(selectors, "video_counts"):
            raise RuntimeError("videos_app.selectors does not define video_counts yet")
        self.services, self.selectors, self.Like = services, selectors, Like

        def users(count: int) -> list:
            with ThreadPoolExecutor(8) as pool:
                return list(pool.map(lambda _: make_user(), range(count)))

        owners = users(options.channels)
        channels = [make_channel(owner=owner) for owner in owners]

        def video(n: int) -> str:
            channel = channels[n % len(channels)]
            owner = owners[n % len(owners)]
            return make_ready_video(
                owner=owner, channel=channel, title=f"Harbour walk no. {n}"
            ).video_id

        self.seed_videos(options, video)
        # A channel with no videos yet: its subscribe backfills no feed entries.
        self.sub_channel_id = make_channel(owner=make_user()).channel_id
        self.op_users = users(options.ops)
        hot_users = users(options.clients * options.users_per_client)
        per = options.users_per_client
        self.hot_clients = [hot_users[i * per : (i + 1) * per] for i in range(options.clients)]

    def view(self, video_id, viewer_key):
        return self.services.view_record(video_id=video_id, viewer_key=viewer_key)

    def like(self, user, video_id, liked):
        self.services.like_set(user=user, video_id=video_id, liked=liked)

    def comment(self, user, video_id, text):
        self.services.comment_post(user=user, video_id=video_id, text=text)

    def subscribe(self, user, channel_id):
        self.services.subscription_set(user=user, channel_id=channel_id, subscribed=True)

    def counts(self, video_id):
        try:
            counts = self.selectors.video_counts(video_id, consistent=True)
        except TypeError:  # a video_counts without the consistent switch
            counts = self.selectors.video_counts(video_id)
        return int(counts.views), int(counts.likes)

    def like_items(self, video_id):
        return self.Like.count(video_id, consistent_read=True)


def raise_rate_limits() -> list[str]:
    """Raise every ``*_PER_MINUTE/HOUR/DAY`` setting; returns their names."""
    from django.conf import settings

    raised = []
    for name in dir(settings):
        if name.isupper() and name.endswith(RATE_LIMIT_SUFFIXES):
            setattr(settings, name, RAISED_LIMIT)
            raised.append(name)
    return sorted(raised)


def run_child(options) -> None:
    """The after half (or the fan-out), in a fresh process on the parent's stack; its
    figures go to the JSON file named by ``--after-half`` (or ``--fanout-half``)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "videoplatform.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("ensure_tables", stdout=io.StringIO())  # tables the refactor added
    # This process runs on the parent's stack: a benchmark asking for one gets it.
    import bench.stack

    bench.stack._stack = bench.stack._stack or "the parent's"
    raised = ", ".join(raise_rate_limits())
    print(f"  [{'after' if options.after_half else 'fan-out'}] limits raised: {raised}")
    if options.after_half:
        figures = run_half(AppSide(), options)
        out = options.after_half
    else:
        module = importlib.import_module("bench.fanout_scale")
        figures = module.run(subscribers=options.fanout_subscribers)
        out = options.fanout_half
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(figures, handle)
