"""The OpenSearch engine's searches and suggestions against a scripted HTTP layer
(videos_app/search/tests/opensearch_script.py)."""

import math

import pytest

from videos_app.search.base import (
    Kind,
    SearchRequest,
    SearchUnavailable,
    Sort,
)
from videos_app.search.tests.opensearch_script import (
    ALIAS,
    bool_of,
    hits,
    query,
    search_body,
)
from videos_app.search.text import ranked_score

# --- reading ---------------------------------------------------------------------------


class TestSearch:
    def test_terms_must_each_match_with_boosts_and_typos(self, backend, script):
        body = search_body(backend, script, SearchRequest(query=query("cat", "minecraft")))
        short, long = bool_of(body)["must"]
        fields = ["title^3", "channel_name^1.5", "handle^1.5", "description"]
        assert short["multi_match"]["query"] == "cat"
        assert short["multi_match"]["fuzziness"] == "0"  # under 4 letters: exact only
        assert long["multi_match"] == {
            "query": "minecraft",
            "fields": fields,
            "type": "best_fields",
            "tie_breaker": 0.1,
            "fuzziness": "AUTO:4,8",
            "prefix_length": 0,
            "fuzzy_transpositions": True,
        }
        assert bool_of(body)["filter"] == []

    def test_numbers_get_no_typos(self, backend, script):
        body = search_body(backend, script, SearchRequest(query=query("2024")))
        assert bool_of(body)["must"][0]["multi_match"]["fuzziness"] == "0"

    def test_a_phrase_is_a_must_of_match_phrases(self, backend, script):
        request = SearchRequest(query=query(phrases=[("lo", "fi", "beats")]))
        (clause,) = bool_of(search_body(backend, script, request))["must"]
        phrases = clause["dis_max"]["queries"]
        assert {"match_phrase": {"title": {"query": "lo fi beats", "boost": 3.0}}} in phrases
        assert {"match_phrase": {"description": {"query": "lo fi beats", "boost": 1.0}}} in (
            phrases
        )
        assert len(phrases) == 4

    def test_kind_filter(self, backend, script):
        request = SearchRequest(query=query("cats"), kinds=frozenset({Kind.LIVE, Kind.CHANNEL}))
        assert bool_of(search_body(backend, script, request))["filter"] == [
            {"terms": {"kind": ["channel", "live"]}}
        ]

    def test_published_after_filter(self, backend, script):
        request = SearchRequest(query=query("cats"), published_after=1_700_000_000)
        assert bool_of(search_body(backend, script, request))["filter"] == [
            {"range": {"published_at": {"gte": 1_700_000_000}}}
        ]

    def test_duration_filter_keeps_videos_only(self, backend, script):
        request = SearchRequest(query=query("cats"), min_duration_s=240, max_duration_s=1200)
        assert bool_of(search_body(backend, script, request))["filter"] == [
            {"term": {"kind": "video"}},
            {"range": {"duration_s": {"gte": 240, "lte": 1200}}},
        ]

    def test_duration_with_one_bound(self, backend, script):
        request = SearchRequest(query=query("cats"), max_duration_s=240)
        assert bool_of(search_body(backend, script, request))["filter"][1] == {
            "range": {"duration_s": {"lte": 240}}
        }

    def test_relevance_mirrors_ranked_score(self, backend, script):
        """The two function scores, computed as OpenSearch does, give ranked_score."""
        now = 1_800_000_000
        body = search_body(backend, script, SearchRequest(query=query("cats"), now=now))
        outer = body["query"]["function_score"]
        inner = outer["query"]["function_score"]
        for level in (outer, inner):
            assert (level["score_mode"], level["boost_mode"]) == ("sum", "multiply")
            assert level["functions"][0] == {"weight": 1}
        views = outer["functions"][1]
        assert views["field_value_factor"] == {
            "field": "views",
            "modifier": "log1p",
            "missing": 0,
        }
        decay = inner["functions"][1]["exp"]["published_at"]
        assert decay == {"origin": now, "scale": 30 * 86400, "decay": 0.5}
        assert body["sort"] == ["_score", {"doc_id": "asc"}]
        for views_n, age_days in ((0, 0), (1234, 3), (10**6, 45)):
            published_at = now - age_days * 86400
            popularity = 1 + views["weight"] * math.log10(1 + views_n)
            lam = math.log(decay["decay"]) / decay["scale"]
            fresh = 1 + inner["functions"][1]["weight"] * math.exp(lam * (now - published_at))
            expected = ranked_score(2.0, published_at=published_at, views=views_n, now=now)
            assert 2.0 * popularity * fresh == pytest.approx(expected)

    def test_relevance_hits_carry_score_and_fields(self, backend, script):
        script.then(
            body=hits(
                {"doc_id": "video:v1", "channel_id": "c1", "views": 7},
                {"doc_id": "channel:c2", "channel_id": "c2", "views": 0},
                total=57,
            )
        )
        found = backend.search(SearchRequest(query=query("cats")))
        assert found.total == 57
        assert [(h.doc_id, h.score, h.channel_id, h.views) for h in found.hits] == [
            ("video:v1", 1.5, "c1", 7),
            ("channel:c2", 1.5, "c2", 0),
        ]
        body = script.requests[0][3]
        assert body["_source"] == ["doc_id", "channel_id", "views"]
        assert body["track_total_hits"] is True

    @pytest.mark.parametrize(
        ("sort", "field"), [(Sort.DATE, "published_at"), (Sort.VIEWS, "views")]
    )
    def test_field_sorts_go_newest_or_most_viewed_first(self, backend, script, sort, field):
        body = search_body(backend, script, SearchRequest(query=query("cats"), sort=sort, now=5))
        assert body["sort"] == [{field: "desc"}, {"doc_id": "asc"}]
        assert "bool" in body["query"]  # no function score: the field decides

    def test_paging(self, backend, script):
        body = search_body(backend, script, SearchRequest(query=query("cats"), offset=40, limit=20))
        assert (body["from"], body["size"]) == (40, 20)

    def test_paging_stops_at_the_result_window(self, backend, script):
        request = SearchRequest(query=query("cats"), offset=9_990, limit=20)
        body = search_body(backend, script, request)
        assert (body["from"], body["size"]) == (9_990, 10)

    def test_an_empty_query_asks_nothing(self, backend, script):
        assert backend.search(SearchRequest(query=query())).hits == []
        assert script.requests == []

    def test_no_index_yet_is_no_result(self, backend, script):
        script.then(404, {"error": {"type": "index_not_found_exception"}, "status": 404})
        found = backend.search(SearchRequest(query=query("cats")))
        assert (found.hits, found.total) == ([], 0)

    def test_engine_errors_raise(self, backend, script):
        script.then(500, {"error": "boom"})
        with pytest.raises(SearchUnavailable):
            backend.search(SearchRequest(query=query("cats")))


class TestSuggest:
    def test_last_word_is_a_prefix_earlier_words_whole(self, backend, script):
        script.then(body=hits({"doc_id": "video:v1", "channel_id": "c1", "views": 3}))
        found = backend.suggest(query("minecraft", "surv"), limit=5)
        assert [h.doc_id for h in found] == ["video:v1"]
        ((_, path, _, body),) = script.requests
        assert path == f"/{ALIAS}/_search"
        earlier, last = body["query"]["bool"]["must"]
        fields = ["title^3", "channel_name^1.5"]
        assert earlier["multi_match"]["query"] == "minecraft"
        assert earlier["multi_match"]["fields"] == fields
        assert earlier["multi_match"]["fuzziness"] == "AUTO:4,8"
        starts, typo = last["bool"]["should"]
        assert starts == {"multi_match": {"query": "surv", "type": "bool_prefix", "fields": fields}}
        assert typo["multi_match"]["fuzziness"] == "AUTO:4,8"
        assert body["size"] == 5
        assert body["sort"][:2] == ["_score", {"views": "desc"}]

    def test_no_terms_no_request(self, backend, script):
        assert backend.suggest(query(phrases=[("a", "b")]), limit=5) == []
        assert script.requests == []
