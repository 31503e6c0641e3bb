"""The local engine on its own (a temporary folder per test; no servers)."""

import time

import pytest

from videos_app.search.base import Kind, SearchDocument, SearchRequest, SearchUnavailable, Sort
from videos_app.search.tantivy_backend import RERANK_WINDOW, TantivyBackend
from videos_app.search.text import parse_query

NOW = 1_800_000_000
DAY = 86400


def video(n, title, *, description="", days_old=1, duration_s=60, views=0, channel="Anna"):
    return SearchDocument(
        doc_id=f"video:{n}",
        kind=Kind.VIDEO,
        title=title,
        description=description,
        channel_id="c1",
        channel_name=channel,
        handle=channel.lower(),
        published_at=NOW - days_old * DAY,
        duration_s=duration_s,
        views=views,
    )


@pytest.fixture
def engine(tmp_path):
    backend = TantivyBackend(tmp_path / "search", reload_s=0)
    backend.apply(
        upserts=[
            video(1, "Bikes on a sunny day", description="Riding around Đà Lạt", views=10),
            video(
                2, "Big Buck Bunny", description="a bunny in the woods", duration_s=600, days_old=2
            ),
            video(3, "Sunday cooking", description="soup", days_old=400, duration_s=1800),
            SearchDocument("channel:c9", Kind.CHANNEL, "Sunny Kitchen", handle="sunnykitchen"),
            SearchDocument("live:s1", Kind.LIVE, "Sunny morning stream", channel_name="Anna"),
        ],
        deletes=[],
    )
    return backend


def ids(engine, text, **kwargs):
    request = SearchRequest(query=parse_query(text), now=NOW, **kwargs)
    return [hit.doc_id for hit in engine.search(request).hits]


def test_typos_find_the_word_meant(engine):
    assert ids(engine, "bikse sunny") == ["video:1"]
    assert ids(engine, "bunyn") == ["video:2"]


def test_every_word_must_match_somewhere(engine):
    assert ids(engine, "sunny soup") == []
    assert ids(engine, "bikes lat") == ["video:1"]  # title and description, accents folded


def test_exact_matches_rank_above_typo_matches(engine):
    found = ids(engine, "sunny")
    assert set(found) == {"video:1", "channel:c9", "live:s1", "video:2"}  # bunny: one typo
    assert found[-1] == "video:2"


def test_phrases_match_words_in_order_only(engine):
    assert ids(engine, '"sunny day"') == ["video:1"]
    assert ids(engine, '"day sunny"') == []


def test_filters_by_kind_date_and_duration(engine):
    assert ids(engine, "sunny", kinds=frozenset({Kind.CHANNEL})) == ["channel:c9"]
    assert ids(engine, "sunny", kinds=frozenset({Kind.LIVE})) == ["live:s1"]
    assert ids(engine, "sunday cooking", published_after=NOW - 30 * DAY) == []
    assert ids(engine, "bunny", min_duration_s=240, max_duration_s=1200) == ["video:2"]
    assert ids(engine, "bunny", max_duration_s=239) == ["video:1"]  # "sunny", one typo away


def test_sorts_by_date_and_by_views(engine):
    assert ids(engine, "sunny", sort=Sort.VIEWS, kinds=frozenset({Kind.VIDEO})) == [
        "video:1",
        "video:2",
    ]
    engine.apply(upserts=[video(8, "Sunny again", days_old=0)], deletes=[])
    assert ids(engine, "sunny", sort=Sort.DATE)[:3] == ["video:8", "video:1", "video:2"]


def test_paging_walks_every_result_once(tmp_path):
    backend = TantivyBackend(tmp_path / "paged", reload_s=0)
    backend.apply(upserts=[video(n, f"Lesson {n} guitar") for n in range(45)], deletes=[])
    seen = []
    for offset in (0, 20, 40):
        request = SearchRequest(query=parse_query("guitar"), offset=offset, limit=20, now=NOW)
        result = backend.search(request)
        assert result.total == 45
        seen += [hit.doc_id for hit in result.hits]
    assert len(seen) == 45 and len(set(seen)) == 45
    assert RERANK_WINDOW >= 45


def test_replacing_and_deleting_documents(engine):
    engine.apply(upserts=[video(1, "Mountain trail")], deletes=["video:2"])
    assert ids(engine, "bikes") == []
    assert ids(engine, "mountain") == ["video:1"]
    assert ids(engine, "bunny", kinds=frozenset({Kind.VIDEO})) == []
    assert engine.stats().docs == 4


def test_suggestions_treat_the_last_word_as_its_beginning(engine):
    assert [h.doc_id for h in engine.suggest(parse_query("big bu"), limit=5)] == ["video:2"]
    assert "video:1" in [h.doc_id for h in engine.suggest(parse_query("bik"), limit=5)]
    assert engine.suggest(parse_query(""), limit=5) == []


def test_an_empty_query_or_a_missing_index_finds_nothing(tmp_path, engine):
    assert ids(engine, "   ") == []
    fresh = TantivyBackend(tmp_path / "never-written", reload_s=0)
    assert fresh.search(SearchRequest(query=parse_query("bikes"))).hits == []
    assert fresh.stats().docs == 0


def test_a_rebuild_is_invisible_until_swapped(engine):
    target = engine.rebuild_begin()
    engine.apply(upserts=[video(7, "Kayak lessons")], deletes=[], target=target)
    assert ids(engine, "kayak") == [] and ids(engine, "bikes") == ["video:1"]
    engine.rebuild_swap(target)
    assert ids(engine, "kayak") == ["video:7"] and ids(engine, "bikes") == []
    assert sorted(p.name for p in engine.root.iterdir()) == ["CURRENT", target]


def test_another_process_sees_commits_after_its_reload_interval(tmp_path):
    writer = TantivyBackend(tmp_path / "shared", reload_s=0)
    writer.apply(upserts=[video(1, "First upload")], deletes=[])
    reader = TantivyBackend(tmp_path / "shared", reload_s=0.2)
    assert ids(reader, "first") == ["video:1"]
    writer.apply(upserts=[video(2, "Second upload")], deletes=[])
    time.sleep(0.25)
    assert ids(reader, "second") == ["video:2"]


def test_an_unusable_folder_is_reported_as_unavailable(tmp_path):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    backend = TantivyBackend(blocked, reload_s=0)
    with pytest.raises(SearchUnavailable):
        backend.apply(upserts=[video(1, "Anything")], deletes=[])
