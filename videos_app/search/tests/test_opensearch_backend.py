"""The OpenSearch engine against a scripted HTTP layer: the real client builds every
request, a recording connection answers it with the JSON each test gives."""

import pytest
import requests
from opensearchpy import RequestsAWSV4SignerAuth, RequestsHttpConnection
from opensearchpy.exceptions import ConnectionError as TransportConnectionError

from videos_app.search.base import (
    IndexStats,
    Kind,
    SearchDocument,
    SearchUnavailable,
)
from videos_app.search.opensearch_backend import (
    BULK_ACTIONS,
    signed_client,
)
from videos_app.search.tests.opensearch_script import (
    ALIAS,
    bulk_ok,
    video,
)

# --- the index -------------------------------------------------------------------------


class TestIndex:
    def test_first_write_makes_the_index_with_mapping_and_alias(self, backend, script):
        backend._ensured = False
        script.then(404).then(200, {"acknowledged": True}).then(200)
        script.then(body=bulk_ok({"index": {"_id": "video:v1", "status": 201}}))
        backend.apply(upserts=[video(1)], deletes=[])
        assert [(m, p) for m, p, _, _ in script.requests] == [
            ("HEAD", f"/_alias/{ALIAS}"),
            ("PUT", f"/{ALIAS}-initial"),
            ("HEAD", f"/_alias/{ALIAS}"),
            ("POST", f"/{ALIAS}/_bulk"),
        ]
        body = script.requests[1][3]
        assert body["aliases"] == {ALIAS: {}}
        analyzer = body["settings"]["analysis"]["analyzer"]["folded"]
        assert analyzer["tokenizer"] == "standard"
        assert analyzer["filter"] == ["lowercase", "asciifolding"]
        mapping = body["mappings"]
        assert mapping["dynamic"] == "strict"
        types = {name: spec["type"] for name, spec in mapping["properties"].items()}
        text = ("title", "description", "channel_name", "handle")
        numbers = ("published_at", "duration_s", "views", "likes")
        assert types == dict.fromkeys(("doc_id", "kind", "channel_id"), "keyword") | (
            dict.fromkeys(text, "text") | dict.fromkeys(numbers, "long")
        )
        for name in ("title", "description", "channel_name", "handle"):
            assert mapping["properties"][name]["analyzer"] == "folded"
        # Known afterwards: the next write goes straight to the alias.
        script.then(body=bulk_ok())
        backend.apply(upserts=[], deletes=["video:v2"])
        assert script.requests[-1][1] == f"/{ALIAS}/_bulk"

    def test_existing_alias_is_not_made_again(self, backend, script):
        backend._ensured = False
        script.then(200).then(body=bulk_ok())
        backend.apply(upserts=[], deletes=["video:v1"])
        assert [m for m, _, _, _ in script.requests] == ["HEAD", "POST"]

    def test_stats_reads_primaries_docs_and_total_size(self, backend, script):
        script.then(
            body={
                "_all": {
                    "primaries": {"docs": {"count": 42}, "store": {"size_in_bytes": 1000}},
                    "total": {"docs": {"count": 84}, "store": {"size_in_bytes": 2100}},
                }
            }
        )
        assert backend.stats() == IndexStats(docs=42, bytes=2100)
        assert script.requests[0][:2] == ("GET", f"/{ALIAS}/_stats/docs,store")

    def test_stats_without_an_index_is_empty(self, backend, script):
        script.then(404, {"error": {"type": "index_not_found_exception"}, "status": 404})
        assert backend.stats() == IndexStats(docs=0, bytes=0)


# --- writing ---------------------------------------------------------------------------


class TestApply:
    def test_bulk_lines_for_deletes_then_upserts(self, backend, script):
        script.then(body=bulk_ok())
        fields = dict(title="Đà Lạt by night", description="a walk", channel_id="c1")
        fields |= dict(channel_name="Night Walks", handle="nightwalks", views=12)
        fields |= dict(published_at=1_700_000_000, duration_s=600)
        doc = SearchDocument(doc_id="video:v1", kind=Kind.VIDEO, likes=-3, **fields)
        backend.apply(upserts=[doc], deletes=["channel:c9"])
        ((method, path, params, lines),) = script.requests
        assert (method, path) == ("POST", f"/{ALIAS}/_bulk")
        assert params["refresh"] == "wait_for"
        assert params["require_alias"] == "true"
        assert lines == [
            {"delete": {"_id": "channel:c9"}},
            {"index": {"_id": "video:v1"}},
            {"doc_id": "video:v1", "kind": "video", **fields, "likes": 0},
        ]

    def test_nothing_to_write_sends_nothing(self, backend, script):
        backend.apply(upserts=[], deletes=[])
        assert script.requests == []

    def test_large_batches_split_and_only_the_last_waits_for_refresh(self, backend, script):
        script.then(body=bulk_ok()).then(body=bulk_ok())
        backend.apply(upserts=[video(n) for n in range(BULK_ACTIONS + 1)], deletes=[])
        first, second = script.requests
        assert len(first[3]) == 2 * BULK_ACTIONS and len(second[3]) == 2
        assert (first[2]["refresh"], second[2]["refresh"]) == ("false", "wait_for")
        assert second[3][0] == {"index": {"_id": f"video:v{BULK_ACTIONS}"}}

    def test_deleting_a_missing_document_is_fine(self, backend, script):
        gone = {"delete": {"_id": "video:gone", "status": 404, "result": "not_found"}}
        script.then(body={"errors": False, "items": [gone]})
        backend.apply(upserts=[], deletes=["video:gone"])
        assert len(script.requests) == 1

    def test_a_refused_item_raises(self, backend, script):
        refused = {"type": "strict_dynamic_mapping_exception", "reason": "mapping set to strict"}
        deleted = {"delete": {"_id": "video:v2", "status": 200, "result": "deleted"}}
        failed = {"index": {"_id": "video:v1", "status": 400, "error": refused}}
        script.then(body={"errors": True, "items": [deleted, failed]})
        with pytest.raises(SearchUnavailable, match="index video:v1: 400 mapping set to strict"):
            backend.apply(upserts=[video(1)], deletes=["video:v2"])

    def test_a_connection_error_raises_after_the_retry(self, backend, script):
        down = TransportConnectionError("N/A", "connection refused", OSError())
        script.fail(down).fail(down)
        with pytest.raises(SearchUnavailable, match="connection refused"):
            backend.apply(upserts=[video(1)], deletes=[])
        assert len(script.requests) == 2  # max_retries=1: tried twice

    def test_a_target_gets_the_writes_without_the_alias(self, backend, script):
        script.then(200).then(body=bulk_ok())
        backend.apply(upserts=[video(1)], deletes=[], target=f"{ALIAS}-5")
        (_, exists, _, _), (_, path, params, _) = script.requests
        assert exists == f"/{ALIAS}-5"
        assert path == f"/{ALIAS}-5/_bulk"
        assert "require_alias" not in params

    def test_a_missing_target_is_never_made_by_a_write(self, backend, script):
        script.then(404)
        with pytest.raises(SearchUnavailable, match="no index vp-5"):
            backend.apply(upserts=[video(1)], deletes=[], target=f"{ALIAS}-5")
        assert [m for m, _, _, _ in script.requests] == ["HEAD"]


# --- rebuilding ------------------------------------------------------------------------


class TestRebuild:
    def test_begin_makes_a_new_index_with_the_mapping_and_no_alias(self, backend, script):
        script.then(body={"acknowledged": True})
        target = backend.rebuild_begin()
        assert target.startswith(f"{ALIAS}-") and target.removeprefix(f"{ALIAS}-").isdigit()
        ((method, path, _, body),) = script.requests
        assert (method, path) == ("PUT", f"/{target}")
        assert body["mappings"]["dynamic"] == "strict"
        assert "aliases" not in body

    def test_swap_moves_the_alias_in_one_call_then_drops_the_old(self, backend, script):
        script.then(body={f"{ALIAS}-1": {"aliases": {ALIAS: {}}}})
        script.then(body={"acknowledged": True}).then(body={"acknowledged": True})
        backend.rebuild_swap(f"{ALIAS}-2")
        assert [(m, p) for m, p, _, _ in script.requests] == [
            ("GET", f"/_alias/{ALIAS}"),
            ("POST", "/_aliases"),
            ("DELETE", f"/{ALIAS}-1"),
        ]
        assert script.requests[1][3] == {
            "actions": [
                {"remove": {"index": f"{ALIAS}-1", "alias": ALIAS}},
                {"add": {"index": f"{ALIAS}-2", "alias": ALIAS}},
            ]
        }

    def test_swap_with_no_alias_yet_only_adds(self, backend, script):
        script.then(404, {"error": "alias [vp] missing", "status": 404})
        script.then(body={"acknowledged": True})
        backend.rebuild_swap(f"{ALIAS}-2")
        assert script.requests[1][3] == {"actions": [{"add": {"index": "vp-2", "alias": ALIAS}}]}

    def test_abandon_deletes_the_target(self, backend, script):
        script.then(body={f"{ALIAS}-1": {"aliases": {ALIAS: {}}}}).then(body={})
        backend.rebuild_abandon(f"{ALIAS}-2")
        assert script.requests[1][:2] == ("DELETE", f"/{ALIAS}-2")

    def test_abandon_never_deletes_the_live_index(self, backend, script):
        script.then(body={f"{ALIAS}-1": {"aliases": {ALIAS: {}}}})
        backend.rebuild_abandon(f"{ALIAS}-1")
        assert [m for m, _, _, _ in script.requests] == ["GET"]

    def test_abandon_refuses_other_indexes(self, backend, script):
        with pytest.raises(ValueError):
            backend.rebuild_abandon("someone-elses")
        assert script.requests == []


# --- the signed client -----------------------------------------------------------------


class TestSignedClient:
    @pytest.fixture(autouse=True)
    def fake_credentials(self, monkeypatch, tmp_path):
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLEKEY000001")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-for-tests-only")
        monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))

    def test_requests_are_signed_for_the_region_and_service(self):
        client = signed_client(
            endpoint="https://vpc-search-abc.eu-west-1.es.amazonaws.com",
            region="eu-west-1",
            service="es",
        )
        (connection,) = client.transport.connection_pool.connections
        assert isinstance(connection, RequestsHttpConnection)
        assert connection.host == "https://vpc-search-abc.eu-west-1.es.amazonaws.com:443"
        assert connection.session.verify  # TLS certificates checked
        auth = connection.session.auth
        assert isinstance(auth, RequestsAWSV4SignerAuth)
        assert (auth.signer.region, auth.signer.service) == ("eu-west-1", "es")
        prepared = requests.Request("GET", f"{connection.host}/vp/_search").prepare()
        signed = auth(prepared)
        assert "Credential=AKIDEXAMPLEKEY000001/" in signed.headers["Authorization"]
        assert "/eu-west-1/es/aws4_request" in signed.headers["Authorization"]

    def test_serverless_collections_sign_for_aoss(self):
        client = signed_client(
            endpoint="abc123.us-east-1.aoss.amazonaws.com", region="us-east-1", service="aoss"
        )
        (connection,) = client.transport.connection_pool.connections
        assert connection.use_ssl
        assert connection.session.auth.signer.service == "aoss"

    def test_plain_http_is_refused(self):
        from django.core.exceptions import ImproperlyConfigured

        with pytest.raises(ImproperlyConfigured):
            signed_client(endpoint="http://search.internal:9200", region="us-east-1")
