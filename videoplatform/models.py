"""Cross-cutting tables: web sessions, uniqueness claims, counters for rate limits,
and the ids of AWS events already applied."""

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from videoplatform.dynamodb import ExpiresAtAttribute, base_meta, register


@register
class WebSession(Model):
    """A Django session; ``expires_at`` is the TTL attribute and is checked on read."""

    Meta = base_meta("Sessions", ttl_attribute="expires_at")

    session_key = UnicodeAttribute(hash_key=True)
    data = UnicodeAttribute()
    expires_at = ExpiresAtAttribute()


@register
class UniqueClaim(Model):
    """One item per unique value (``email#a@b.c``, ``handle#cats``).

    Written with ``does_not_exist`` in the same transaction as the item that owns the
    value, so two racing requests cannot both take it.
    """

    Meta = base_meta("UniqueClaims")

    claim_id = UnicodeAttribute(hash_key=True)
    owner_id = UnicodeAttribute()


@register
class Counter(Model):
    """A counter (rate limits, log-in throttling), shared by every process."""

    Meta = base_meta("Counters", ttl_attribute="expires_at")

    counter_key = UnicodeAttribute(hash_key=True)
    count = NumberAttribute(default=0)
    expires_at = ExpiresAtAttribute()
    # Log-in throttling only: Unix seconds before which no further attempt may be checked.
    not_before = NumberAttribute(null=True)


@register
class ProcessedEvent(Model):
    """The envelope id of each AWS event applied once (EventBridge delivers at least once)."""

    Meta = base_meta("ProcessedEvents", ttl_attribute="expires_at")

    event_id = UnicodeAttribute(hash_key=True)
    detail_type = UnicodeAttribute()
    expires_at = ExpiresAtAttribute()


# How many items each tally is spread over: every increment lands on one of them at
# random and a read sums them, so one video or channel takes TALLY_SHARDS times the
# writes a single item could (about 1,000 a second each), and a home page of 24 cards
# still reads all its tallies in one BatchGetItem (24 x 4 keys, under its 100-key limit).
TALLY_SHARDS = 4


@register
class Tally(Model):
    """One shard of the counts of a video or a channel (``video#<id>#<n>``,
    ``channel#<id>#<n>``). Counts live here, apart from the items that indexes project,
    so a view, a like or a subscribe rewrites no index."""

    Meta = base_meta("Tallies")

    tally_id = UnicodeAttribute(hash_key=True)
    views = NumberAttribute(default=0)
    likes = NumberAttribute(default=0)
    comments = NumberAttribute(default=0)
    subscribers = NumberAttribute(default=0)
    videos = NumberAttribute(default=0)


@register
class RequestClaim(Model):
    """A form post already handled: the client token its form carried and what it made,
    so the same post sent again (a double click, a retry) answers with the first result."""

    Meta = base_meta("RequestClaims", ttl_attribute="expires_at")

    claim_id = UnicodeAttribute(hash_key=True)
    result_id = UnicodeAttribute()
    expires_at = ExpiresAtAttribute()
