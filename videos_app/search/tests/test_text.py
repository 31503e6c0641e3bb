"""Query parsing, typo rules, highlighting and ranking (no servers)."""

from videos_app.search.base import ParsedQuery
from videos_app.search.text import (
    MAX_WORDS,
    edit_distance,
    excerpt,
    fold,
    highlight,
    parse_query,
    ranked_score,
    typo_distance,
    word_matches,
)


def test_fold_makes_accents_and_case_plain():
    assert fold("Đà Lạt Crème BRÛLÉE") == "da lat creme brulee"


def test_parse_query_splits_terms_and_quoted_phrases():
    parsed = parse_query('Bikes "sunny  day" Đà  ')
    assert parsed.terms == ("bikes", "da")
    assert parsed.phrases == (("sunny", "day"),)


def test_one_quoted_word_is_a_term_and_repeats_count_once():
    assert parse_query('"bunny" bunny BUNNY') == ParsedQuery(terms=("bunny",))


def test_parse_query_keeps_at_most_max_words_and_ignores_symbols():
    parsed = parse_query(" ".join(f"w{n}" for n in range(30)) + " <script>")
    assert len(parsed.words) == MAX_WORDS
    assert "script" not in parsed.words
    assert parse_query("  <> !! ").empty


def test_typo_distance_grows_with_word_length():
    assert [typo_distance(w) for w in ("cat", "bike", "bicycles", "2024")] == [0, 1, 2, 0]


def test_edit_distance_counts_a_swap_of_neighbours_as_one():
    assert edit_distance("bikse", "bikes", 2) == 1
    assert edit_distance("bunyn", "bunny", 2) == 1
    assert edit_distance("kitten", "sitting", 5) == 3
    assert edit_distance("a", "abcdef", 2) == 3  # over the limit: limit + 1


def test_word_matches_with_typos_and_prefixes():
    assert word_matches("bikse", "bikes")
    assert not word_matches("cat", "car")  # short words must be exact
    assert word_matches("bun", "bunny", prefix=True)
    assert not word_matches("bun", "bunny")


def test_highlight_marks_matched_words_and_escapes_everything():
    html = highlight("<b>Bikes</b> on a sunny day", parse_query("bikse sunny"))
    assert html == "&lt;b&gt;<mark>Bikes</mark>&lt;/b&gt; on a <mark>sunny</mark> day"


def test_highlight_folds_accents_and_can_treat_the_last_word_as_a_prefix():
    assert highlight("Đà Lạt", parse_query("da")) == "<mark>Đà</mark> Lạt"
    assert highlight("Bunny hop", parse_query("bun"), prefix_last=True) == "<mark>Bunny</mark> hop"
    assert highlight("Bunny hop", parse_query("bun")) == "Bunny hop"


def test_excerpt_centres_on_the_first_match():
    text = "filler " * 60 + "the sunny part " + "tail " * 60
    piece = excerpt(text, parse_query("sunny"), chars=80)
    assert "sunny" in piece and piece.startswith("…") and piece.endswith("…")
    assert excerpt("short text", parse_query("x")) == "short text"


def test_ranking_prefers_relevance_then_popularity_and_freshness():
    now = 1_000_000_000
    old_quiet = ranked_score(1.0, published_at=now - 400 * 86400, views=0, now=now)
    new_quiet = ranked_score(1.0, published_at=now, views=0, now=now)
    old_popular = ranked_score(1.0, published_at=now - 400 * 86400, views=1_000_000, now=now)
    much_more_relevant = ranked_score(3.0, published_at=now - 400 * 86400, views=0, now=now)
    assert new_quiet > old_quiet
    assert old_popular > old_quiet
    assert much_more_relevant > max(new_quiet, old_popular)
