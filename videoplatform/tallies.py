"""Counts of videos and channels (views, likes, comments, subscribers, public videos):
the only module that writes the Tallies table.

A count is split over TALLY_SHARDS items. An increment is one ``ADD`` on a shard picked
at random, outside any transaction, so a hot video neither throttles one item nor makes
transactions conflict; a read sums the shards. The item a count follows (a Like, a
Comment, a Subscription, a view marker) is written first with its own condition, and
the count moves only when that write changed something, so a repeat never counts
twice. Should the process die between the two, ``tally_set`` re-derives the count from
the items (``reconcile_counts``).

Counts shown to every viewer (a watch page, a channel page) are kept a few seconds per
process (VIDEO_CACHE_S, ``counts_shared``). A like, comment or subscription counted in
this process drops its subject's entry at once; views, which a busy video adds many
times a second, show within the TTL.
"""

import random
from dataclasses import dataclass

from videoplatform import reactions
from videoplatform.aws import dynamodb_client
from videoplatform.dynamodb import retry_contended
from videoplatform.local_cache import MISSING, LocalCache
from videoplatform.models import TALLY_SHARDS, Tally

NAMES = ("views", "likes", "comments", "subscribers", "videos")

_recent = LocalCache("VIDEO_CACHE_S", max_items=20_000, single_refresh=True)


@dataclass(frozen=True)
class Counts:
    views: int = 0
    likes: int = 0
    comments: int = 0
    subscribers: int = 0
    videos: int = 0


def video_subject(video_id: str) -> str:
    return f"video#{video_id}"


def channel_subject(channel_id: str) -> str:
    return f"channel#{channel_id}"


def shard_ids(subject: str) -> list[str]:
    return [f"{subject}#{n}" for n in range(TALLY_SHARDS)]


def tally_keys(subject: str) -> list[dict]:
    """The raw keys of a subject's shards, for a caller folding them into its own
    BatchGetItem (the watch page reads them with the channel and the like state)."""
    return [{"tally_id": {"S": tally_id}} for tally_id in shard_ids(subject)]


def tally_add(subject: str, **deltas: int) -> None:
    """Add to one shard of a subject's counts (retried with backoff while it is hot)."""
    deltas = {name: value for name, value in deltas.items() if value}
    unknown = set(deltas) - set(NAMES)
    if unknown:
        raise ValueError(f"Unknown counts {sorted(unknown)}")
    if not deltas:
        return
    item = Tally(f"{subject}#{random.randrange(TALLY_SHARDS)}")
    actions = [getattr(Tally, name).add(value) for name, value in deltas.items()]
    try:
        retry_contended(lambda: item.update(actions=actions))
    finally:
        if set(deltas) != {"views"}:
            _recent.discard(subject)
    reactions.announce(reactions.COUNTED, subject=subject)


def counts_from_items(items: list[dict]) -> dict[str, Counts]:
    """Sum raw Tally items (as BatchGetItem returns them) into Counts per subject."""
    sums: dict[str, dict[str, int]] = {}
    for raw in items:
        subject = raw["tally_id"]["S"].rsplit("#", 1)[0]
        totals = sums.setdefault(subject, dict.fromkeys(NAMES, 0))
        for name in NAMES:
            if name in raw:
                totals[name] += int(raw[name]["N"])
    return {subject: Counts(**totals) for subject, totals in sums.items()}


def tallies_get(subjects: list[str], *, consistent: bool = False) -> dict[str, Counts]:
    """Counts of several subjects: BatchGetItem, 100 keys a request (25 subjects)."""
    subjects = list(dict.fromkeys(subjects))
    keys = [key for subject in subjects for key in tally_keys(subject)]
    items: list[dict] = []
    client = dynamodb_client()
    for start in range(0, len(keys), 100):
        request = {Tally.Meta.table_name: {"Keys": keys[start : start + 100]}}
        if consistent:
            request[Tally.Meta.table_name]["ConsistentRead"] = True
        while request:
            response = client.batch_get_item(RequestItems=request)
            items += response.get("Responses", {}).get(Tally.Meta.table_name, [])
            request = response.get("UnprocessedKeys") or {}
    found = counts_from_items(items)
    return {subject: found.get(subject, Counts()) for subject in subjects}


def tally_set(subject: str, name: str, value: int) -> int:
    """Make a count equal ``value`` (re-derived from the items it counts): the
    difference is added to one shard. Returns the difference applied."""
    current = getattr(tallies_get([subject], consistent=True)[subject], name)
    difference = int(value) - current
    if difference:
        tally_add(subject, **{name: difference})
    return difference


def counts_remembered(subject: str) -> Counts | None:
    """The subject's counts as this process last read them, while fresh; else None."""
    found = _recent.get(subject)
    return None if found is MISSING else found


def counts_remember(counts: dict[str, Counts]) -> None:
    """Keep counts read by a caller's own BatchGetItem (see ``counts_remembered``)."""
    for subject, value in counts.items():
        _recent.set(subject, value)


def counts_shared(subjects: list[str]) -> dict[str, Counts]:
    """Counts as every viewer sees them: from this process's memory while fresh, the
    rest in one read (``tallies_get``)."""
    found = {subject: counts_remembered(subject) for subject in dict.fromkeys(subjects)}
    missing = [subject for subject, value in found.items() if value is None]
    if missing:
        read = tallies_get(missing)
        counts_remember(read)
        found.update(read)
    return found
