"""The durable queue of documents to index again (PynamoDB model; written only by
videos_app.search.outbox)."""

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from videoplatform.dynamodb import base_meta, register

# Pending marks are spread over PENDING_SHARDS partitions (``pending#<n>``, n from the
# document id); the indexer reads each partition in turn. One ``control`` partition
# holds the indexer's lease and the state of a rebuild.
PENDING = "pending"
PENDING_SHARDS = 4
CONTROL = "control"


@register
class SearchPending(Model):
    """One item per document waiting to be indexed again. A new mark on a waiting
    document adds to its ``version``: the indexer removes the item only if the version
    it indexed is still the last, so a change made while it worked is never dropped."""

    Meta = base_meta("SearchPending")

    partition = UnicodeAttribute(hash_key=True)
    doc_id = UnicodeAttribute(range_key=True)
    version = NumberAttribute(default=0)
    marked_at = NumberAttribute(null=True)
    # Control items: the lease (holder, until) and a rebuild's progress (state, JSON).
    holder = UnicodeAttribute(null=True)
    until = NumberAttribute(null=True)
    state = UnicodeAttribute(null=True)
