"""Every change that decides whether an item can be found reaches the index through the
pending-index queue; the indexer being down loses nothing."""

import pytest

from channels_app.accounts import user_set_role
from channels_app.models import Role
from channels_app.services import channel_update
from conftest import make_channel, make_user, unique
from live_app import services as live_services
from live_app.tests.events import stream_event
from social_app import moderation
from social_app.services import view_record
from social_app.tests.factories import make_ready_video
from videoplatform.events import handle_event
from videos_app.publishing import video_delete, video_update
from videos_app.search import outbox
from videos_app.search.base import SearchRequest, SearchUnavailable
from videos_app.search.indexer import drain_once
from videos_app.search.listeners import CountsThinner
from videos_app.search.text import parse_query


def found(engine, text: str) -> list[str]:
    return [h.doc_id for h in engine.search(SearchRequest(query=parse_query(text))).hits]


def moderator():
    user = make_user()
    return user_set_role(user=user, role=Role.MODERATOR, granted=True)


def test_publishing_makes_a_video_findable(engine, published, tag):
    _, _, video = published
    assert found(engine, f"bikse sunny {tag}") == [f"video:{video.video_id}"]


def test_private_and_unlisted_uploads_are_never_indexed(engine, index_now, tag):
    make_ready_video(visibility="private", title=f"Private bikes {tag}")
    make_ready_video(visibility="unlisted", title=f"Unlisted bikes {tag}")
    index_now()
    assert found(engine, f"bikes {tag}") == []


def test_an_edit_replaces_the_words(engine, index_now, published, tag):
    owner, _, video = published
    video_update(
        actor=owner, video=video, title=f"Kayaks {tag}", description="", visibility="public"
    )
    index_now()
    assert found(engine, f"bikes {tag}") == []
    assert found(engine, f"kayaks {tag}") == [f"video:{video.video_id}"]


@pytest.mark.parametrize("visibility", ["private", "unlisted"])
def test_making_a_video_private_or_unlisted_removes_it(
    engine, index_now, published, tag, visibility
):
    owner, _, video = published
    video_update(actor=owner, video=video, title=video.title, description="", visibility=visibility)
    index_now()
    assert found(engine, f"sunny {tag}") == []


def test_removal_and_restore_by_a_moderator(engine, index_now, published, tag):
    _, _, video = published
    staff = moderator()
    moderation.video_remove(moderator=staff, video_id=video.video_id, reason="spam")
    index_now()
    assert found(engine, f"sunny {tag}") == []
    moderation.video_restore(moderator=staff, video_id=video.video_id, reason="appeal upheld")
    index_now()
    assert found(engine, f"sunny {tag}") == [f"video:{video.video_id}"]


def test_a_ban_hides_the_owners_videos_and_channels_and_an_unban_brings_them_back(
    engine, index_now, published, tag
):
    owner, channel, video = published
    staff = moderator()
    assert f"channel:{channel.channel_id}" in found(engine, f"riverside {tag}")
    moderation.user_ban(moderator=staff, user_id=owner.user_id, reason="abuse")
    index_now()
    assert found(engine, f"sunny {tag}") == []
    assert found(engine, f"riverside {tag}") == []
    moderation.user_unban(moderator=staff, user_id=owner.user_id, reason="appeal")
    index_now()
    assert found(engine, f"sunny {tag}") == [f"video:{video.video_id}"]
    assert f"channel:{channel.channel_id}" in found(engine, f"riverside {tag}")


def test_deletion_removes_the_video(engine, index_now, published, tag):
    owner, _, video = published
    video_delete(actor=owner, video=video)
    index_now()
    assert found(engine, f"sunny {tag}") == []


def test_a_channel_rename_reaches_the_channel_and_its_videos(engine, index_now, published, tag):
    owner, channel, video = published
    channel_update(actor=owner, channel=channel, name=f"Lakeside {tag}", description="")
    index_now()
    assert found(engine, f"riverside {tag}") == []
    assert set(found(engine, f"lakeside {tag}")) == {
        f"channel:{channel.channel_id}",
        f"video:{video.video_id}",
    }


def test_a_stream_is_findable_while_live_only(engine, index_now, tag):
    owner = make_user()
    channel = make_channel(owner=owner, name=f"Studio {tag}")
    session = live_services.live_session_create(
        actor=owner, channel_id=channel.channel_id, title=f"Morning jazz {tag}"
    )
    index_now()
    assert found(engine, f"jazz {tag}") == []
    assert handle_event(stream_event(session, "Stream Start")) == "applied"
    index_now()
    assert found(engine, f"jazz {tag}") == [f"live:{session.stream_id}"]
    assert handle_event(stream_event(session, "Stream End")) == "applied"
    index_now()
    assert found(engine, f"jazz {tag}") == []


def test_views_reach_the_index_at_most_once_per_refresh_period(engine, index_now, published):
    _, _, video = published
    assert outbox.pending(per_shard=100) == []
    view_record(video_id=video.video_id, viewer_key=unique("viewer"))
    marked = [m.doc_id for m in outbox.pending(per_shard=100)]
    assert marked == [f"video:{video.video_id}"]
    index_now()
    view_record(video_id=video.video_id, viewer_key=unique("viewer"))
    assert outbox.pending(per_shard=100) == []  # thinned: within the refresh period
    hits = engine.search(SearchRequest(query=parse_query(video.title))).hits
    assert hits[0].views == 1


def test_the_counts_thinner_lets_a_subject_through_once_per_period():
    thinner = CountsThinner(every_s=60)
    assert thinner.due("video#a", now=0)
    assert not thinner.due("video#a", now=59)
    assert thinner.due("video#b", now=59)
    assert thinner.due("video#a", now=61)


class DownEngine:
    """An engine that cannot be reached."""

    def apply(self, **kwargs):
        raise SearchUnavailable("connection refused")


def test_changes_wait_while_the_engine_is_down_and_apply_when_it_is_back(
    engine, index_now, published, tag
):
    owner, _, video = published
    video_update(
        actor=owner, video=video, title=f"Canoes {tag}", description="", visibility="public"
    )
    with pytest.raises(SearchUnavailable):
        drain_once(backend=DownEngine())
    assert f"video:{video.video_id}" in [m.doc_id for m in outbox.pending(per_shard=100)]
    assert found(engine, f"canoes {tag}") == []
    index_now()
    assert found(engine, f"canoes {tag}") == [f"video:{video.video_id}"]
    assert outbox.pending(per_shard=100) == []


def test_a_mark_made_while_the_indexer_works_is_not_cleared(engine, published):
    _, _, video = published
    doc_id = f"video:{video.video_id}"
    outbox.mark([doc_id])
    seen = outbox.pending(per_shard=100)
    outbox.mark([doc_id])  # changed again after the indexer read its marks
    assert outbox.clear(seen) == 0
    assert [m.doc_id for m in outbox.pending(per_shard=100)] == [doc_id]
