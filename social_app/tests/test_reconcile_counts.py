"""reconcile_counts puts a count right that a dying process left one off."""

import io

import pytest
from django.core.management import CommandError, call_command

from channels_app.selectors import channel_counts
from conftest import make_user
from social_app import services
from social_app.tests.factories import make_ready_video
from videoplatform.tallies import channel_subject, tally_add, video_subject
from videos_app.selectors import video_counts


class TestReconcileCounts:
    def test_drifted_counts_are_re_derived(self):
        """A like counted twice and a subscriber never counted are put back to the
        number of items; --dry-run only reports."""
        video = make_ready_video()
        fan = make_user()
        services.like_set(user=fan, video_id=video.video_id, liked=True)
        services.subscription_set(user=fan, channel_id=video.channel_id, subscribed=True)
        tally_add(video_subject(video.video_id), likes=1)  # as if an ADD ran twice
        tally_add(channel_subject(video.channel_id), subscribers=-1)  # as if it never ran
        assert video_counts(video.video_id, consistent=True).likes == 2

        out = io.StringIO()
        call_command(
            "reconcile_counts",
            "--video",
            video.video_id,
            "--channel",
            video.channel_id,
            "--dry-run",
            stdout=out,
        )
        assert "would fix 2" in out.getvalue()
        assert video_counts(video.video_id, consistent=True).likes == 2

        call_command(
            "reconcile_counts",
            "--video",
            video.video_id,
            "--channel",
            video.channel_id,
            stdout=io.StringIO(),
        )
        assert video_counts(video.video_id, consistent=True).likes == 1
        counts = channel_counts(video.channel_id, consistent=True)
        assert counts.subscribers == 1 and counts.videos == 1

    def test_needs_a_target(self):
        """Without --video or --channel it says what it needs instead of doing nothing."""
        with pytest.raises(CommandError, match="at least one"):
            call_command("reconcile_counts", stdout=io.StringIO())
