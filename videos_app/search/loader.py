"""The search engine chosen by ``SEARCH_BACKEND``, one per process."""

from functools import cache

from django.conf import settings

from videos_app.search.base import SearchBackend


@cache
def get_search_backend() -> SearchBackend:
    if settings.SEARCH_BACKEND == "opensearch":
        from videos_app.search.opensearch_backend import OpenSearchBackend, signed_client

        return OpenSearchBackend(
            client=signed_client(
                endpoint=settings.OPENSEARCH_ENDPOINT,
                region=settings.AWS_REGION,
                service=settings.OPENSEARCH_SERVICE,
            ),
            alias=settings.OPENSEARCH_INDEX,
        )
    from videos_app.search.tantivy_backend import TantivyBackend

    return TantivyBackend(settings.SEARCH_PATH)
