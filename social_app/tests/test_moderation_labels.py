"""The moderation target page says statuses and reasons in words, not stored values."""

import pytest

from channels_app.accounts import user_set_role
from channels_app.models import Role
from conftest import make_user, sign_in
from social_app import moderation
from social_app.tests.factories import make_ready_video


@pytest.fixture
def moderator():
    user = make_user()
    user_set_role(user=user, role=Role.MODERATOR, granted=True)
    return user


def test_target_page_shows_labels(client, moderator):
    video = make_ready_video()
    for reason in ("spam", "harassment"):
        moderation.report_create(
            user=make_user(), target_type="video", target_id=video.video_id, reason=reason, note=""
        )
    sign_in(client, moderator)
    url = f"/moderation/targets/video%23{video.video_id}/"

    page = client.get(url).content.decode()

    assert "<h1>Review: video</h1>" in page
    assert '<span class="target-status">Open</span>' in page
    assert "<td>Spam or misleading</td>" in page and "<td>Harassment or bullying</td>" in page
    assert page.count('<td class="report-status">Open</td>') == 2
    assert "<td>spam</td>" not in page

    moderation.report_dismiss(
        moderator=moderator, target_key=f"video#{video.video_id}", reason="ok"
    )
    page = client.get(url).content.decode()

    assert '<span class="target-status">Closed</span>' in page
    assert page.count('<td class="report-status">Dismissed</td>') == 2
