"""The local search engine: tantivy (Rust, BM25, fuzzy and phrase queries) embedded in
each process, its index in a folder (``SEARCH_PATH``).

Layout: ``<root>/CURRENT`` names the live index folder; a rebuild writes a new folder and
swaps ``CURRENT`` with one rename, so readers never see a half-built index. One process
writes at a time (the indexer holding the lease, videos_app.search.outbox); every web
process reads, reloading at most every ``reload_s`` to see new commits.
"""

import re
import threading
import time
from pathlib import Path

import tantivy
from tantivy import FieldType, Filter, Occur, Query, TextAnalyzerBuilder, Tokenizer

from videos_app.search.base import (
    Hit,
    IndexStats,
    Kind,
    ParsedQuery,
    SearchBackend,
    SearchDocument,
    SearchHits,
    SearchRequest,
    SearchUnavailable,
    Sort,
)
from videos_app.search.text import ranked_score, typo_distance

CURRENT = "CURRENT"
# Relevance ranks this many best text matches again with freshness and popularity;
# paging by relevance ends there (a viewer refines the query long before).
RERANK_WINDOW = 300
WRITER_HEAP_BYTES = 50_000_000
U64_MAX = 2**63 - 1

# Field name: (boost for an exact word, boost for a word one typo away).
TEXT_FIELDS = {
    "title": (3.0, 0.6),
    "channel_name": (1.5, 0.3),
    "handle": (1.5, 0.3),
    "description": (1.0, 0.1),
}


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    for name in ("doc_id", "kind", "channel_id"):
        builder.add_text_field(name, stored=True, tokenizer_name="raw")
    builder.add_text_field("title", stored=True, tokenizer_name="folded")
    for name in ("channel_name", "handle", "description"):
        builder.add_text_field(name, stored=False, tokenizer_name="folded")
    builder.add_unsigned_field("published_at", stored=True, indexed=True, fast=True)
    builder.add_unsigned_field("duration_s", stored=False, indexed=True, fast=True)
    builder.add_unsigned_field("views", stored=True, indexed=True, fast=True)
    builder.add_unsigned_field("likes", stored=True, indexed=False, fast=False)
    return builder.build()


SCHEMA = _schema()


# Lower-case ASCII words (videos_app.search.text.fold does the same to queries).
def _folded():
    return (
        TextAnalyzerBuilder(Tokenizer.simple())
        .filter(Filter.lowercase())
        .filter(Filter.ascii_fold())
        .build()
    )


def _document(doc: SearchDocument) -> tantivy.Document:
    out = tantivy.Document()
    out.add_text("doc_id", doc.doc_id)
    out.add_text("kind", str(doc.kind))
    out.add_text("channel_id", doc.channel_id)
    out.add_text("title", doc.title)
    out.add_text("channel_name", doc.channel_name)
    out.add_text("handle", doc.handle)
    out.add_text("description", doc.description)
    out.add_unsigned("published_at", max(int(doc.published_at), 0))
    out.add_unsigned("duration_s", max(int(doc.duration_s), 0))
    out.add_unsigned("views", max(int(doc.views), 0))
    out.add_unsigned("likes", max(int(doc.likes), 0))
    return out


def _word_query(word: str, *, prefix: bool = False) -> Query:
    """A word anywhere it counts: exact (scored by BM25), a typo away, or, for the word
    being typed, as the start of a word."""
    options = []
    distance = typo_distance(word)
    for field, (exact, near) in TEXT_FIELDS.items():
        options.append(Query.boost_query(Query.term_query(SCHEMA, field, word), exact))
        if distance:
            fuzzy = Query.fuzzy_term_query(SCHEMA, field, word, distance=distance, prefix=prefix)
            options.append(Query.boost_query(fuzzy, near))
        if prefix:
            starts = Query.regex_query(SCHEMA, field, re.escape(word) + ".*")
            options.append(Query.boost_query(Query.const_score_query(starts, 1.0), near * 2))
    return Query.disjunction_max_query(options, 0.1)


def _phrase_query(words: tuple[str, ...]) -> Query:
    options = [
        Query.boost_query(Query.phrase_query(SCHEMA, field, list(words)), exact)
        for field, (exact, _near) in TEXT_FIELDS.items()
    ]
    return Query.disjunction_max_query(options, 0.1)


def text_query(query: ParsedQuery, *, prefix_last: bool = False) -> Query:
    """Every term and phrase must match somewhere (a term, typos allowed)."""
    musts = []
    for index, word in enumerate(query.terms):
        last = prefix_last and index == len(query.terms) - 1
        musts.append((Occur.Must, _word_query(word, prefix=last)))
    musts += [(Occur.Must, _phrase_query(phrase)) for phrase in query.phrases]
    return Query.boolean_query(musts)


def _range(field: str, low: int | None, high: int | None) -> Query:
    return Query.range_query(
        SCHEMA, field, FieldType.Unsigned, max(low or 0, 0), min(high or U64_MAX, U64_MAX)
    )


def request_query(request: SearchRequest) -> Query:
    clauses = [(Occur.Must, text_query(request.query))]
    if request.kinds:
        kinds = [(Occur.Should, Query.term_query(SCHEMA, "kind", str(k))) for k in request.kinds]
        clauses.append((Occur.Must, Query.boolean_query(kinds)))
    if request.published_after is not None:
        clauses.append((Occur.Must, _range("published_at", request.published_after, None)))
    if request.min_duration_s is not None or request.max_duration_s is not None:
        clauses.append((Occur.Must, Query.term_query(SCHEMA, "kind", str(Kind.VIDEO))))
        clauses.append(
            (Occur.Must, _range("duration_s", request.min_duration_s, request.max_duration_s))
        )
    return Query.boolean_query(clauses)


class TantivyBackend(SearchBackend):
    name = "tantivy"

    def __init__(self, root: str | Path, *, reload_s: float = 0.5):
        self.root = Path(root)
        self.reload_s = reload_s
        self._lock = threading.Lock()
        self._indexes: dict[str, tantivy.Index] = {}
        self._live_name: str | None = None
        self._checked_at = 0.0

    # --- folders -----------------------------------------------------------------

    def _read_current(self) -> str | None:
        try:
            name = (self.root / CURRENT).read_text().strip()
        except FileNotFoundError:
            return None
        return name or None

    def _index(self, name: str) -> tantivy.Index:
        index = self._indexes.get(name)
        if index is None:
            path = self.root / name
            path.mkdir(parents=True, exist_ok=True)
            index = tantivy.Index(SCHEMA, path=str(path), reuse=True)
            index.register_tokenizer("folded", _folded())
            self._indexes[name] = index
        return index

    def _live(self) -> tantivy.Index | None:
        """The live index, reloaded (and CURRENT read again) at most every reload_s."""
        with self._lock:
            now = time.monotonic()
            if now - self._checked_at >= self.reload_s or self._live_name is None:
                self._checked_at = now
                name = self._read_current()
                if name != self._live_name and self._live_name in self._indexes:
                    self._indexes.pop(self._live_name)
                self._live_name = name
                if name is None:
                    return None
                index = self._index(name)
                index.reload()
                return index
            return self._index(self._live_name)

    def ensure(self) -> str:
        """The live index's folder name, made (empty) if there is none yet."""
        name = self._read_current()
        if name is None:
            name = "index-initial"
            self._index(name)
            self._write_current(name)
        return name

    def _write_current(self, name: str) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        temporary = self.root / f"{CURRENT}.tmp"
        temporary.write_text(name)
        temporary.replace(self.root / CURRENT)
        with self._lock:
            self._checked_at = 0.0

    # --- writing -----------------------------------------------------------------

    def apply(self, *, upserts, deletes, target=None) -> None:
        try:
            index = self._index(target or self.ensure())
            writer = index.writer(WRITER_HEAP_BYTES, 1)
            try:
                for doc_id in list(deletes) + [doc.doc_id for doc in upserts]:
                    writer.delete_documents_by_term("doc_id", doc_id)
                for doc in upserts:
                    writer.add_document(_document(doc))
                writer.commit()
                writer.wait_merging_threads()
            finally:
                del writer  # releases the folder's writer lock
            index.reload()
        except (ValueError, OSError) as error:
            raise SearchUnavailable(f"tantivy: {error}") from error
        with self._lock:
            self._checked_at = 0.0

    # --- reading -----------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchHits:
        if request.query.empty:
            return SearchHits()
        index = self._live()
        if index is None:
            return SearchHits()
        try:
            searcher = index.searcher()
            query = request_query(request)
            if request.sort == Sort.RELEVANCE:
                result = searcher.search(query, RERANK_WINDOW, count=True)
                scored = [
                    self._hit(searcher, score, address, request.now)
                    for score, address in result.hits
                ]
                scored.sort(key=lambda hit: hit.score, reverse=True)
                hits = scored[request.offset : request.offset + request.limit]
                return SearchHits(hits=hits, total=min(result.count, RERANK_WINDOW))
            field = "published_at" if request.sort == Sort.DATE else "views"
            result = searcher.search(
                query, request.limit, count=True, order_by_field=field, offset=request.offset
            )
            hits = [self._hit(searcher, 0.0, address, None) for _value, address in result.hits]
            return SearchHits(hits=hits, total=result.count)
        except ValueError as error:
            raise SearchUnavailable(f"tantivy: {error}") from error

    @staticmethod
    def _hit(searcher, score: float, address, now: int | None) -> Hit:
        stored = searcher.doc(address)
        published_at = stored.get_first("published_at") or 0
        views = stored.get_first("views") or 0
        if now is not None:
            score = ranked_score(score, published_at=published_at, views=views, now=now)
        return Hit(
            doc_id=stored.get_first("doc_id"),
            score=score,
            channel_id=stored.get_first("channel_id") or "",
            views=views,
        )

    def suggest(self, query: ParsedQuery, *, limit: int) -> list[Hit]:
        if not query.terms:
            return []
        index = self._live()
        if index is None:
            return []
        try:
            searcher = index.searcher()
            result = searcher.search(text_query(query, prefix_last=True), limit * 3)
            hits = [self._hit(searcher, score, address, 0) for score, address in result.hits]
        except ValueError as error:
            raise SearchUnavailable(f"tantivy: {error}") from error
        hits.sort(key=lambda hit: (hit.score, hit.views), reverse=True)
        return hits[:limit]

    # --- rebuilding --------------------------------------------------------------

    def rebuild_begin(self) -> str:
        name = f"index-{time.time_ns()}"
        self._index(name)
        return name

    def rebuild_swap(self, target: str) -> None:
        previous = self._read_current()
        self._write_current(target)
        if previous and previous != target:
            self._drop(previous)

    def rebuild_abandon(self, target: str) -> None:
        if target != self._read_current():
            self._drop(target)

    def _drop(self, name: str) -> None:
        self._indexes.pop(name, None)
        folder = self.root / name
        if folder.is_dir():
            for path in sorted(folder.rglob("*"), reverse=True):
                path.unlink() if path.is_file() else path.rmdir()
            folder.rmdir()

    def stats(self) -> IndexStats:
        index = self._live()
        if index is None:
            return IndexStats(docs=0, bytes=0)
        folder = self.root / self._live_name
        size = sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
        return IndexStats(docs=index.searcher().num_docs, bytes=size)
