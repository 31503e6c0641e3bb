"""The search benchmark's pure parts (`python -m bench search`, bench/search_*.py): the
typo maker, the naive baseline, the queries and the percentile."""

import random

import pytest

from bench.search_corpus import (
    NOW,
    NaiveIndex,
    make_corpus,
    make_queries,
    make_typo,
    percentile,
)
from videos_app.search.base import Kind, SearchDocument, SearchRequest, Sort
from videos_app.search.text import edit_distance, parse_query, words_of


def _doc(number: int, title: str, **fields) -> SearchDocument:
    return SearchDocument(doc_id=f"video:v{number}", kind=Kind.VIDEO, title=title, **fields)


def _request(text: str, **filters) -> SearchRequest:
    return SearchRequest(query=parse_query(text), limit=10, now=NOW, **filters)


def test_a_typo_always_changes_the_word_by_one_edit():
    words = {w for doc in make_corpus(300) for w in words_of(doc.title) if len(w) >= 4}
    assert len(words) > 100
    for seed in range(5):
        rng = random.Random(seed)
        for word in sorted(words):
            typo = make_typo(word, rng)
            assert typo != word
            assert 1 <= edit_distance(word, typo, 2) <= 2, (word, typo)
            assert typo[0] == word[0]


def test_a_typo_is_never_a_word_to_avoid_and_short_words_get_none():
    rng = random.Random(1)
    avoid = frozenset({"bake", "bike", "bkie", "biek", "bikke"})
    for _ in range(200):
        assert make_typo("bike", rng, avoid=avoid) not in avoid
    with pytest.raises(ValueError):
        make_typo("pho", rng)


def test_the_naive_scan_finds_exact_words_and_misses_a_typo():
    naive = NaiveIndex(
        [
            _doc(1, "Saffron risotto in 20 minutes", views=10),
            _doc(2, "Mushroom pizza", description="Better than risotto", views=500),
            _doc(3, "Backpacking Đà Lạt", channel_name="Lena Travels", views=5),
        ]
    )
    assert naive.search(_request("risotto")) == ["video:v1", "video:v2"]  # title hit first
    assert naive.search(_request("saffron risotto")) == ["video:v1"]
    assert naive.search(_request('"risotto in 20"')) == ["video:v1"]
    assert naive.search(_request('"in risotto"')) == []
    assert naive.search(_request("da lat travels")) == ["video:v3"]
    assert naive.search(_request("safforn risotto")) == []


def test_the_naive_scan_filters_and_orders_like_a_request():
    naive = NaiveIndex(
        [
            _doc(1, "Guitar chords", published_at=NOW - 10, duration_s=100, views=1),
            _doc(2, "Guitar scales", published_at=NOW - 500, duration_s=2000, views=90),
            _doc(3, "Guitar vibrato", published_at=NOW - 50, duration_s=700, views=40),
        ]
    )
    assert naive.search(_request("guitar", sort=Sort.DATE)) == ["video:v1", "video:v3", "video:v2"]
    assert naive.search(_request("guitar", sort=Sort.VIEWS)) == [
        "video:v2",
        "video:v3",
        "video:v1",
    ]
    assert naive.search(_request("guitar", min_duration_s=600)) == ["video:v2", "video:v3"]
    assert naive.search(_request("guitar", max_duration_s=600)) == ["video:v1"]
    assert naive.search(_request("guitar", published_after=NOW - 100)) == ["video:v3", "video:v1"]
    assert naive.search(_request("guitar", kinds=frozenset({Kind.CHANNEL}))) == []


def test_the_queries_are_the_same_each_time_and_typo_targets_are_findable():
    docs = make_corpus(1500)
    naive = NaiveIndex(docs)
    queries = make_queries(docs, naive)
    assert queries == make_queries(docs, naive)
    assert [sum(q.group == g for q in queries) for g in ("word", "phrase", "typo", "filter")] == [
        60,
        40,
        60,
        40,
    ]
    for query in (q for q in queries if q.group == "typo"):
        assert query.target in naive.search(query.request(text=query.exact_text))
        typos, exact = query.text.split(), query.exact_text.split()
        assert all(1 <= edit_distance(t, w, 2) <= 2 for t, w in zip(typos, exact, strict=True))
    assert make_corpus(50) == make_corpus(50)
    assert make_corpus(50) != make_corpus(50, seed=8)


def test_percentile():
    assert percentile([3, 1, 2, 4], 50) == 2.5
    assert percentile(range(1, 101), 95) == pytest.approx(95.05)
    assert percentile([7], 95) == 7
    assert percentile([1, 2], 0) == 1 and percentile([1, 2], 100) == 2
    with pytest.raises(ValueError):
        percentile([], 50)
