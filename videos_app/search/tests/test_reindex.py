"""Rebuilding the whole index from DynamoDB: aside from the live index (readers keep
theirs until the swap), page by page, resumable, with a dry run; changes made during
the rebuild are in the new index too."""

import io

import pytest
from django.core.management import call_command

from conftest import make_channel, make_user, unique
from social_app.tests.factories import make_ready_video
from videos_app.publishing import video_update
from videos_app.search import outbox
from videos_app.search.base import SearchRequest
from videos_app.search.indexer import rebuild
from videos_app.search.text import parse_query


def found(engine, text: str) -> list[str]:
    return [h.doc_id for h in engine.search(SearchRequest(query=parse_query(text))).hits]


@pytest.fixture
def library(engine, index_now):
    tag = unique("r")
    owner = make_user()
    channel = make_channel(owner=owner, name=f"Harbour {tag}")
    videos = [
        make_ready_video(owner=owner, channel=channel, title=f"Sailing {n} {tag}") for n in range(3)
    ]
    hidden = make_ready_video(
        owner=owner, channel=channel, visibility="private", title=f"Sailing secret {tag}"
    )
    index_now()
    return tag, owner, channel, videos, hidden


def lose_from_live_index(engine, doc_ids):
    """What a lost update or an engine reset would leave: documents missing."""
    engine.apply(upserts=[], deletes=doc_ids)


def test_a_rebuild_restores_what_the_live_index_lost(engine, library):
    tag, _, channel, videos, _ = library
    lose_from_live_index(engine, [f"video:{v.video_id}" for v in videos])
    assert found(engine, f"sailing {tag}") == []
    tally = rebuild(backend=engine, holder="test-rebuild", page_size=50)
    assert tally.swapped
    assert set(found(engine, f"sailing {tag}")) == {f"video:{v.video_id}" for v in videos}
    assert f"channel:{channel.channel_id}" in found(engine, f"harbour {tag}")
    assert outbox.rebuild_state() is None


def test_readers_keep_the_old_index_until_the_swap_and_an_interrupted_rebuild_resumes(
    engine, library
):
    tag, owner, _, videos, _ = library
    lose_from_live_index(engine, [f"video:{videos[0].video_id}"])
    first = rebuild(backend=engine, holder="test-rebuild", page_size=1, stop_after_pages=1)
    assert not first.swapped
    state = outbox.rebuild_state()
    assert state["target"] == first.target and state["cursor"]
    # Readers still use the live index: the lost video is still missing.
    assert f"video:{videos[0].video_id}" not in found(engine, f"sailing {tag}")
    # A change while the rebuild is unfinished reaches the live index and the target.
    video_update(
        actor=owner, video=videos[1], title=f"Rowing {tag}", description="", visibility="public"
    )
    second = rebuild(backend=engine, holder="test-rebuild-2", page_size=200)
    assert second.resumed and second.swapped and second.target == first.target
    assert found(engine, f"rowing {tag}") == [f"video:{videos[1].video_id}"]
    assert set(found(engine, f"sailing {tag}")) == {
        f"video:{videos[0].video_id}",
        f"video:{videos[2].video_id}",
    }


def test_private_videos_are_not_rebuilt_into_the_index(engine, library):
    tag, _, _, _, hidden = library
    rebuild(backend=engine, holder="test-rebuild", page_size=200)
    assert f"video:{hidden.video_id}" not in found(engine, f"sailing secret {tag}")


def test_the_command_dry_run_counts_and_writes_nothing(engine, library):
    tag, _, _, videos, _ = library
    lose_from_live_index(engine, [f"video:{videos[2].video_id}"])
    out = io.StringIO()
    call_command("search_reindex", "--dry-run", stdout=out)
    assert "Would index: videos=" in out.getvalue()
    counted = int(out.getvalue().split("videos=")[1].split(",")[0])
    assert counted >= 3
    assert outbox.rebuild_state() is None
    assert f"video:{videos[2].video_id}" not in found(engine, f"sailing {tag}")


def test_the_command_rebuilds_and_swaps(engine, library):
    tag, _, _, videos, _ = library
    lose_from_live_index(engine, [f"video:{videos[2].video_id}"])
    out = io.StringIO()
    call_command("search_reindex", "--page-size", "100", stdout=out)
    assert "now serving index-" in out.getvalue()
    assert f"video:{videos[2].video_id}" in found(engine, f"sailing {tag}")


def test_restart_abandons_an_unfinished_rebuild(engine, library):
    first = rebuild(backend=engine, holder="test-rebuild", page_size=1, stop_after_pages=1)
    second = rebuild(backend=engine, holder="test-rebuild", page_size=200, restart=True)
    assert not second.resumed and second.target != first.target and second.swapped
    assert not (engine.root / first.target).exists()
