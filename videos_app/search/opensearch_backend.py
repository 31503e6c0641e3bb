"""The production search engine: Amazon OpenSearch Service, through ``opensearch-py``.

Readers and the indexer address one alias (``OPENSEARCH_INDEX``); behind it is one
concrete index ``<alias>-<suffix>`` whose settings and mapping are written here. A
rebuild fills a new concrete index aside, then one ``_aliases`` call moves the alias to
it for every reader at once, and the old index is dropped.

Queries mirror the local engine (videos_app.search.tantivy_backend): every term must
match in some text field, typos allowed by ``typo_distance`` (fuzziness AUTO:4,8);
phrases match word for word; relevance is lifted by popularity and freshness exactly as
``ranked_score`` does, inside the engine, so paging by relevance goes as deep as any.
"""

import time
from contextlib import contextmanager
from dataclasses import asdict
from urllib.parse import urlsplit

import boto3
from django.core.exceptions import ImproperlyConfigured
from opensearchpy import OpenSearch, RequestsAWSV4SignerAuth, RequestsHttpConnection
from opensearchpy.exceptions import NotFoundError, TransportError

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
from videos_app.search.text import FRESH_HALF_LIFE_DAYS, typo_distance

# --- the index: analysis, settings, mapping --------------------------------------------

# Words as videos_app.search.text.words_of sees them: anything but a letter, a mark or a
# digit breaks words ("cool_channel" and "don't" are two words each, as in a query),
# then lower-case ASCII ("Đà Lạt" is "da lat").
ANALYSIS = {
    "char_filter": {
        "word_breaks": {
            "type": "pattern_replace",
            "pattern": "[^\\p{L}\\p{M}\\p{N}]+",
            "replacement": " ",
        }
    },
    "analyzer": {
        "folded": {
            "type": "custom",
            "char_filter": ["word_breaks"],
            "tokenizer": "standard",
            "filter": ["lowercase", "asciifolding"],
        }
    },
}
INDEX_SETTINGS = {
    # A few hundred thousand small documents fit one shard; the replica lives in the
    # other zone, so a node's loss leaves every document searchable.
    "index": {"number_of_shards": 1, "number_of_replicas": 1},
    "analysis": ANALYSIS,
}
_TEXT = {"type": "text", "analyzer": "folded"}
MAPPING = {
    "dynamic": "strict",
    "properties": {
        "doc_id": {"type": "keyword"},
        "kind": {"type": "keyword"},
        "channel_id": {"type": "keyword"},
        "title": _TEXT,
        "description": _TEXT,
        "channel_name": _TEXT,
        "handle": _TEXT,
        "published_at": {"type": "long"},
        "duration_s": {"type": "long"},
        "views": {"type": "long"},
        "likes": {"type": "long"},
    },
}

# --- queries ----------------------------------------------------------------------------

# The same weights as the local engine's exact-word boosts.
TEXT_FIELDS = ["title^3", "channel_name^1.5", "handle^1.5", "description"]
SUGGEST_FIELDS = ["title^3", "channel_name^1.5"]
FUZZINESS = "AUTO:4,8"  # typo_distance: none under 4 letters, 1 from 4, 2 from 8
TIE_BREAKER = 0.1
HIT_FIELDS = ["doc_id", "channel_id", "views"]
# index.max_result_window: paging ends there (a viewer refines the query long before).
MAX_WINDOW = 10_000
BULK_ACTIONS = 500  # operations per bulk request, well under the smallest payload limit
DAY_S = 86_400


def _fuzziness(word: str) -> str:
    # AUTO:4,8 counts letters as typo_distance does, but would allow a typo in a number.
    return FUZZINESS if typo_distance(word) else "0"


def term_clause(word: str, fields: list[str] = TEXT_FIELDS) -> dict:
    """One word in any text field (the best field counts), a typo or two away at most."""
    return {
        "multi_match": {
            "query": word,
            "fields": fields,
            "type": "best_fields",
            "tie_breaker": TIE_BREAKER,
            "fuzziness": _fuzziness(word),
            "prefix_length": 0,
            "fuzzy_transpositions": True,
        }
    }


def phrase_clause(words: tuple[str, ...], fields: list[str] = TEXT_FIELDS) -> dict:
    """The words next to each other, in this order, in one field."""
    queries = []
    for spec in fields:
        name, _, boost = spec.partition("^")
        queries.append(
            {"match_phrase": {name: {"query": " ".join(words), "boost": float(boost or 1)}}}
        )
    return {"dis_max": {"queries": queries, "tie_breaker": TIE_BREAKER}}


def prefix_clause(word: str, fields: list[str]) -> dict:
    """The word being typed: the start of a word, or the whole word with a typo."""
    starts = {"multi_match": {"query": word, "type": "bool_prefix", "fields": fields}}
    return {"bool": {"should": [starts, term_clause(word, fields)], "minimum_should_match": 1}}


def text_musts(query: ParsedQuery) -> list[dict]:
    return [term_clause(word) for word in query.terms] + [
        phrase_clause(phrase) for phrase in query.phrases
    ]


def filters(request: SearchRequest) -> list[dict]:
    out: list[dict] = []
    if request.kinds:
        out.append({"terms": {"kind": sorted(str(kind) for kind in request.kinds)}})
    if request.published_after is not None:
        out.append({"range": {"published_at": {"gte": request.published_after}}})
    if request.min_duration_s is not None or request.max_duration_s is not None:
        bounds = {}
        if request.min_duration_s is not None:
            bounds["gte"] = request.min_duration_s
        if request.max_duration_s is not None:
            bounds["lte"] = request.max_duration_s
        out.append({"term": {"kind": str(Kind.VIDEO)}})
        out.append({"range": {"duration_s": bounds}})
    return out


def _one_plus(function: dict, weight: float) -> dict:
    """Function-score settings giving ``1 + weight * function``, times the relevance."""
    functions = [{"weight": 1}, {**function, "weight": weight}]
    return {"functions": functions, "score_mode": "sum", "boost_mode": "multiply"}


def ranked(query: dict, now: int) -> dict:
    """``ranked_score``: relevance x (1 + 0.1 log10(1 + views)) x (1 + 0.3 freshness),
    freshness halving every FRESH_HALF_LIFE_DAYS (an exponential decay)."""
    views = {"field_value_factor": {"field": "views", "modifier": "log1p", "missing": 0}}
    if now:
        scale = int(FRESH_HALF_LIFE_DAYS * DAY_S)
        age = {"exp": {"published_at": {"origin": now, "scale": scale, "decay": 0.5}}}
        query = {"function_score": {"query": query, **_one_plus(age, 0.3)}}
    return {"function_score": {"query": query, **_one_plus(views, 0.1)}}


def search_body(request: SearchRequest) -> dict:
    query = {"bool": {"must": text_musts(request.query), "filter": filters(request)}}
    if request.sort == Sort.RELEVANCE:
        query = ranked(query, request.now)
        order: list = ["_score", {"doc_id": "asc"}]
    else:
        field = "published_at" if request.sort == Sort.DATE else "views"
        order = [{field: "desc"}, {"doc_id": "asc"}]
    start = min(max(request.offset, 0), MAX_WINDOW)
    return {
        "query": query,
        "sort": order,
        "from": start,
        "size": max(0, min(request.limit, MAX_WINDOW - start)),
        "track_total_hits": True,
        "_source": HIT_FIELDS,
    }


def suggest_body(query: ParsedQuery, limit: int) -> dict:
    *earlier, last = query.terms
    musts = [term_clause(word, SUGGEST_FIELDS) for word in earlier]
    musts.append(prefix_clause(last, SUGGEST_FIELDS))
    musts += [phrase_clause(phrase, SUGGEST_FIELDS) for phrase in query.phrases]
    return {
        "query": {"bool": {"must": musts}},
        "sort": ["_score", {"views": "desc"}, {"doc_id": "asc"}],
        "size": limit,
        "_source": HIT_FIELDS,
    }


def source_of(doc: SearchDocument) -> dict:
    source = asdict(doc)
    for name in ("published_at", "duration_s", "views", "likes"):
        source[name] = max(int(source[name]), 0)
    return {**source, "kind": str(doc.kind)}


def bulk_operations(upserts: list[SearchDocument], deletes: list[str]) -> list[list[dict]]:
    """Each operation's lines. Deletes first, then upserts: a document both deleted and
    upserted ends up there."""
    operations = [[{"delete": {"_id": doc_id}}] for doc_id in deletes]
    operations += [[{"index": {"_id": doc.doc_id}}, source_of(doc)] for doc in upserts]
    return operations


def bulk_requests(operations: list[list[dict]]) -> list[list[dict]]:
    """The lines of each bulk request, at most BULK_ACTIONS operations in one."""
    return [
        [line for operation in operations[start : start + BULK_ACTIONS] for line in operation]
        for start in range(0, len(operations), BULK_ACTIONS)
    ]


def bulk_failures(response: dict) -> list[str]:
    """Items the engine refused; a delete of a document that is not there is no failure."""
    failures = []
    for item in response.get("items", []):
        ((action, result),) = item.items()
        status = int(result.get("status", 200))
        if action == "delete" and status == 404 and "error" not in result:
            continue
        if "error" in result or status >= 300:
            error = result.get("error") or {}
            reason = error.get("reason", "") if isinstance(error, dict) else str(error)
            failures.append(f"{action} {result.get('_id')}: {status} {reason}".strip())
    return failures


def _hit(raw: dict, *, scored: bool) -> Hit:
    source = raw.get("_source") or {}
    return Hit(
        doc_id=source.get("doc_id") or raw["_id"],
        score=float(raw.get("_score") or 0.0) if scored else 0.0,
        channel_id=source.get("channel_id") or "",
        views=int(source.get("views") or 0),
    )


@contextmanager
def _engine_errors():
    """The engine refused or could not be reached: SearchUnavailable, try again later."""
    try:
        yield
    except TransportError as error:
        raise SearchUnavailable(f"opensearch: {error}") from error


# --- the client -------------------------------------------------------------------------


def signed_client(*, endpoint: str, region: str, service: str = "es") -> OpenSearch:
    """A client whose every request is signed (SigV4) with boto3's default credentials:
    the task role in ECS, refreshed as they rotate."""
    parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
    if parts.scheme != "https" or not parts.hostname:
        raise ImproperlyConfigured(f"OPENSEARCH_ENDPOINT must be https://<host>, not {endpoint!r}")
    credentials = boto3.Session().get_credentials()
    if credentials is None:
        raise ImproperlyConfigured("No AWS credentials to sign OpenSearch requests with")
    return OpenSearch(
        hosts=[{"host": parts.hostname, "port": parts.port or 443}],
        http_auth=RequestsAWSV4SignerAuth(credentials, region, service),
        connection_class=RequestsHttpConnection,
        use_ssl=True,
        verify_certs=True,
        http_compress=True,
        timeout=10,
        max_retries=2,
        retry_on_timeout=True,
        pool_maxsize=16,
    )


class OpenSearchBackend(SearchBackend):
    name = "opensearch"

    def __init__(self, *, client: OpenSearch, alias: str):
        self.client = client
        self.alias = alias
        self._ensured = False

    @property
    def initial_index(self) -> str:
        # One fixed name: processes racing to make the first index make the same one.
        return f"{self.alias}-initial"

    def _index_body(self, *, aliased: bool = False) -> dict:
        aliases = {"aliases": {self.alias: {}}} if aliased else {}
        return {"settings": INDEX_SETTINGS, "mappings": MAPPING, **aliases}

    def ensure(self) -> None:
        """The alias and an empty index behind it, made if there are none yet."""
        if self._ensured:
            return
        with _engine_errors():
            if not self.client.indices.exists_alias(name=self.alias):
                self.client.indices.create(
                    index=self.initial_index, body=self._index_body(aliased=True), ignore=400
                )
                if not self.client.indices.exists_alias(name=self.alias):
                    raise SearchUnavailable(f"opensearch: no alias {self.alias} after create")
        self._ensured = True

    # --- writing -------------------------------------------------------------------

    def apply(self, *, upserts, deletes, target=None) -> None:
        requests = bulk_requests(bulk_operations(list(upserts), list(deletes)))
        if not requests:
            return
        if target is None:
            self.ensure()
            # Never let a write make a concrete index named like the alias.
            index, extra = self.alias, {"require_alias": "true"}
        else:
            index, extra = target, {}
        with _engine_errors():
            if target is not None and not self.client.indices.exists(index=target):
                # A bulk request would make it, with no mapping of ours.
                raise SearchUnavailable(f"opensearch: no index {target}")
            for number, lines in enumerate(requests, 1):
                # The last request's refresh shows the earlier ones' changes too.
                refresh = "wait_for" if number == len(requests) else "false"
                response = self.client.bulk(body=lines, index=index, refresh=refresh, **extra)
                failures = bulk_failures(response)
                if failures:
                    raise SearchUnavailable(
                        f"opensearch: {len(failures)} refused, first: {failures[0]}"
                    )

    # --- reading -------------------------------------------------------------------

    def _search(self, body: dict) -> dict:
        with _engine_errors():
            try:
                return self.client.search(index=self.alias, body=body)
            except NotFoundError:
                return {}  # nothing indexed yet

    def search(self, request: SearchRequest) -> SearchHits:
        if request.query.empty:
            return SearchHits()
        found = self._search(search_body(request)).get("hits", {})
        total = found.get("total", 0)
        scored = request.sort == Sort.RELEVANCE
        return SearchHits(
            hits=[_hit(raw, scored=scored) for raw in found.get("hits", [])],
            total=int(total["value"] if isinstance(total, dict) else total),
        )

    def suggest(self, query: ParsedQuery, *, limit: int) -> list[Hit]:
        if not query.terms or limit <= 0:
            return []
        found = self._search(suggest_body(query, limit)).get("hits", {})
        return [_hit(raw, scored=True) for raw in found.get("hits", [])]

    # --- rebuilding ----------------------------------------------------------------

    def _live_indexes(self) -> list[str]:
        try:
            return sorted(self.client.indices.get_alias(name=self.alias))
        except NotFoundError:
            return []

    def rebuild_begin(self) -> str:
        name = f"{self.alias}-{time.time_ns()}"
        with _engine_errors():
            self.client.indices.create(index=name, body=self._index_body())
        return name

    def rebuild_swap(self, target: str) -> None:
        with _engine_errors():
            previous = [name for name in self._live_indexes() if name != target]
            actions = [{"remove": {"index": name, "alias": self.alias}} for name in previous]
            actions.append({"add": {"index": target, "alias": self.alias}})
            self.client.indices.update_aliases(body={"actions": actions})
            for name in previous:
                self.client.indices.delete(index=name, ignore=404)
        self._ensured = True

    def rebuild_abandon(self, target: str) -> None:
        if not target.startswith(f"{self.alias}-"):
            raise ValueError(f"{target} is not one of this alias's indexes")
        with _engine_errors():
            if target not in self._live_indexes():
                self.client.indices.delete(index=target, ignore=404)

    def stats(self) -> IndexStats:
        with _engine_errors():
            try:
                response = self.client.indices.stats(index=self.alias, metric="docs,store")
            except NotFoundError:
                return IndexStats(docs=0, bytes=0)
        every = response.get("_all", {})
        docs = every.get("primaries", {}).get("docs", {}).get("count", 0)
        size = every.get("total", {}).get("store", {}).get("size_in_bytes", 0)
        return IndexStats(docs=int(docs), bytes=int(size))
