"""A viewer's words made into a query, typo rules, ranking and highlighting, the same
for every engine."""

import math
import re
import unicodedata

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from videos_app.search.base import ParsedQuery

MAX_QUERY_CHARS = 200
MAX_WORDS = 10
_WORD = re.compile(r"[0-9a-z]+")
# Letters that do not come apart into a base letter and a mark under NFKD.
_SPECIAL = str.maketrans({"đ": "d", "Đ": "D", "ø": "o", "Ø": "O", "ß": "ss", "ł": "l", "Ł": "L"})


def fold(text: str) -> str:
    """Lower-case ASCII: "Đà Lạt" and "da lat" are the same words (as the engine's
    analyzer folds what it indexes)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def words_of(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def parse_query(text: str) -> ParsedQuery:
    """Quoted parts are phrases; everything else loose terms. At most MAX_WORDS words."""
    text = (text or "")[:MAX_QUERY_CHARS]
    phrases: list[tuple[str, ...]] = []
    budget = MAX_WORDS

    def take_phrase(match: re.Match) -> str:
        nonlocal budget
        words = tuple(words_of(match.group(1))[:budget])
        budget -= len(words)
        if len(words) > 1:
            phrases.append(words)
            return " "
        return " " + " ".join(words) + " "  # one quoted word is just a word

    loose = re.sub(r'"([^"]*)"', take_phrase, text)
    terms = tuple(dict.fromkeys(words_of(loose)))[: max(budget, 0)]
    return ParsedQuery(terms=terms, phrases=tuple(phrases))


def typo_distance(word: str) -> int:
    """Edits a word may be off by: none for short words, where one edit makes another
    common word; one from 4 letters; two from 8 (a swap of neighbours counts one)."""
    if len(word) < 4 or word.isdigit():
        return 0
    return 1 if len(word) < 8 else 2


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (adjacent swaps cost one), up to ``limit + 1``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def word_matches(query_word: str, word: str, *, prefix: bool = False) -> bool:
    if word == query_word or (prefix and word.startswith(query_word)):
        return True
    limit = typo_distance(query_word)
    if not limit:
        return False
    if prefix and len(word) > len(query_word):
        word = word[: len(query_word)]
    return edit_distance(query_word, word, limit) <= limit


def highlight(text: str, query: ParsedQuery, *, prefix_last: bool = False) -> SafeString:
    """``text`` escaped, with every word the query matched (typos included) in <mark>."""
    wanted = query.words
    if not wanted:
        return escape(text)
    last = query.terms[-1] if (prefix_last and query.terms) else None
    out: list[str] = []
    position = 0
    for match in re.finditer(r"\w+", text):
        folded = fold(match.group(0))
        hit = any(word_matches(w, folded, prefix=(w == last)) for w in wanted)
        if hit:
            out.append(escape(text[position : match.start()]))
            out.append(f"<mark>{escape(match.group(0))}</mark>")
            position = match.end()
    out.append(escape(text[position:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece of text above is escaped


def excerpt(text: str, query: ParsedQuery, *, chars: int = 180) -> str:
    """About ``chars`` characters of ``text`` around its first matched word."""
    text = " ".join(text.split())
    if len(text) <= chars:
        return text
    start = 0
    for match in re.finditer(r"\w+", text):
        if any(word_matches(w, fold(match.group(0))) for w in query.words):
            start = max(0, match.start() - chars // 3)
            break
    piece = text[start : start + chars]
    return ("…" if start else "") + piece + ("…" if start + chars < len(text) else "")


# --- Ranking --------------------------------------------------------------------------

FRESH_HALF_LIFE_DAYS = 30.0


def ranked_score(text_score: float, *, published_at: int, views: int, now: int) -> float:
    """Text relevance, lifted by popularity (log of views) and freshness (halving every
    FRESH_HALF_LIFE_DAYS): relevance leads, the others break near-ties."""
    age_days = max(0.0, (now - published_at) / 86400) if published_at else 365.0
    freshness = 0.5 ** (age_days / FRESH_HALF_LIFE_DAYS)
    popularity = math.log10(1 + max(views, 0))
    return text_score * (1 + 0.1 * popularity) * (1 + 0.3 * freshness)
