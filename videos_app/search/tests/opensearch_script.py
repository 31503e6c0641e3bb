"""A scripted HTTP layer for the OpenSearch engine: the real client builds every request,
a recording connection answers it with the JSON each test gives."""

import json
from urllib.parse import parse_qs

from opensearchpy import Connection

from videos_app.search.base import (
    Kind,
    ParsedQuery,
    SearchDocument,
)

ALIAS = "vp"


class Script:
    """Answers in order; remembers every request as (method, path, query, body)."""

    def __init__(self):
        self.answers: list = []
        self.requests: list[tuple[str, str, dict, object]] = []

    def then(self, status: int = 200, body: object = None) -> "Script":
        self.answers.append((status, body if body is not None else {}))
        return self

    def fail(self, error: Exception) -> "Script":
        self.answers.append(error)
        return self

    def bodies(self, method: str, path: str) -> list:
        return [b for m, p, _, b in self.requests if (m, p) == (method, path)]


class Recorded(Connection):
    def __init__(self, *, script: Script, **kwargs):
        super().__init__(**kwargs)
        self.script = script

    def perform_request(
        self, method, url, params=None, body=None, timeout=None, ignore=(), headers=None
    ):
        path, _, query = url.partition("?")
        query = {k: v[-1] for k, v in parse_qs(query).items()}
        for key, value in (params or {}).items():
            query[key] = value.decode() if isinstance(value, bytes) else str(value)
        self.script.requests.append((method, path, query, _decode(body)))
        assert self.script.answers, f"no answer scripted for {method} {url}"
        answer = self.script.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, payload = answer
        raw = json.dumps(payload)
        if not 200 <= status < 300 and status not in ignore:
            self._raise_error(status, raw, "application/json")
        return status, {"content-type": "application/json"}, raw


def _decode(body):
    if body is None:
        return None
    text = body.decode() if isinstance(body, bytes) else body
    if text.endswith("\n"):  # bulk: one JSON document a line
        return [json.loads(line) for line in text.splitlines()]
    return json.loads(text)


def video(n: int, **extra) -> SearchDocument:
    return SearchDocument(doc_id=f"video:v{n}", kind=Kind.VIDEO, title=f"Video {n}", **extra)


def bulk_ok(*items) -> dict:
    return {"took": 3, "errors": False, "items": list(items)}


def hits(*sources, total=None, score=1.5) -> dict:
    rows = [{"_id": s["doc_id"], "_score": score, "_source": s} for s in sources]
    return {"hits": {"total": {"value": total or len(rows), "relation": "eq"}, "hits": rows}}


def query(*terms, phrases=()) -> ParsedQuery:
    return ParsedQuery(terms=tuple(terms), phrases=tuple(phrases))


def search_body(backend, script, request):
    script.then(body=hits())
    backend.search(request)
    ((method, path, _, body),) = script.requests
    assert (method, path) == ("POST", f"/{ALIAS}/_search")
    return body


def bool_of(body):
    """The bool query inside the relevance function scores (or the bare one)."""
    node = body["query"]
    while "function_score" in node:
        node = node["function_score"]["query"]
    return node["bool"]
