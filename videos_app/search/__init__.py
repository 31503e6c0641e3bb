"""Search: videos, channels and live streams found by what people remember of them.

``base`` is the engine interface (``SEARCH_BACKEND``: tantivy embedded locally, Amazon
OpenSearch Service in production); ``outbox`` keeps the durable queue of documents to
index again; ``indexer`` drains it (and rebuilds the whole index aside, then swaps);
``results`` answers a viewer's query, checked again against DynamoDB before rendering.
"""
