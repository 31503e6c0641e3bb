"""Reads for users and channels."""

from channels_app import recent
from channels_app.models import Channel, User
from videoplatform.aws import dynamodb_client
from videoplatform.dynamodb import item_or_none
from videoplatform.local_cache import MISSING, LocalCache
from videoplatform.models import UniqueClaim
from videoplatform.tallies import Counts, channel_subject, counts_shared, tallies_get

# The signed-in user is read on most requests: kept a few seconds per process
# (USER_CACHE_S). ``channels_app.accounts`` drops the entry when it writes the user, so
# a ban or a role change applies at once here and within USER_CACHE_S elsewhere.
recent_users = LocalCache("USER_CACHE_S")


def user_get(user_id: str) -> User | None:
    # The raw item is kept, and each caller gets an object of its own.
    raw = recent_users.get(user_id)
    if raw is MISSING:
        user = item_or_none(User, user_id)
        if user is not None:  # a missing one may be created any moment: not remembered
            recent_users.set(user_id, user.serialize())
        return user
    return User.from_raw_data(raw)


def user_get_by_email(email: str) -> User | None:
    """Through the email claim: a strongly consistent read, unlike the email GSI."""
    claim = item_or_none(UniqueClaim, f"email#{email}", consistent=True)
    return user_get(claim.owner_id) if claim else None


def channel_get(channel_id: str, *, with_counts: bool = False) -> Channel | None:
    channel = item_or_none(Channel, channel_id)
    if channel is not None and with_counts:
        channel.counts = channel_counts(channel_id, consistent=True)
    return channel


def channel_get_by_handle(handle: str, *, with_counts: bool = False) -> Channel | None:
    handle = (handle or "").strip().lstrip("@").lower()
    if not handle or len(handle) > 30:
        return None
    entry = recent.by_handle.get_entry(handle)
    if entry is MISSING:
        claim = item_or_none(UniqueClaim, f"handle#{handle}")
        channel = channel_get(claim.owner_id) if claim else None
        if channel is not None:
            channel.remembered_as = recent.by_handle.set(handle, channel.serialize())
        else:
            recent.by_handle.discard(handle)
    else:
        channel = Channel.from_raw_data(entry[0])
        channel.remembered_as = entry[1]
    if channel is not None and with_counts:
        subject = channel_subject(channel.channel_id)
        channel.counts = counts_shared([subject])[subject]
    return channel


def channel_remembered(channel_id: str) -> Channel | None:
    """The channel as this process last read it for everyone, while fresh; else None."""
    entry = recent.by_id.get_entry(channel_id)
    if entry is MISSING:
        return None
    channel = Channel.from_raw_data(entry[0])
    channel.remembered_as = entry[1]
    return channel


def channel_remember(channel: Channel) -> None:
    channel.remembered_as = recent.by_id.set(channel.channel_id, channel.serialize())


def channel_counts(channel_id: str, *, consistent: bool = False) -> Counts:
    """Subscribers and public videos of a channel (one BatchGetItem over its tally)."""
    subject = channel_subject(channel_id)
    return tallies_get([subject], consistent=consistent)[subject]


def channels_for_owner(user_id: str, *, limit: int = 50) -> list[Channel]:
    return list(Channel.owner_index.query(user_id, limit=limit))


def channels_in_nav(user_id: str) -> list[dict]:
    """The channels a person owns, as the navigation lists them (kept a few seconds)."""
    found = recent.by_owner.get(user_id)
    if found is MISSING:
        found = [
            {"channel_id": c.channel_id, "handle": c.handle, "name": c.name}
            for c in channels_for_owner(user_id, limit=20)
        ]
        recent.by_owner.set(user_id, found)
    return found


# One BatchGetItem holds up to 100 keys.
CHANNELS_PER_BATCH = 100


def channels_by_id(channel_ids) -> dict[str, Channel]:
    """Channels by id (each once), for video cards and shelves: what this process
    remembers while fresh (``recent.by_id``), the rest in one BatchGetItem per 100
    channels, then remembered for the next page. A page of remembered channels reads
    nothing."""
    found: dict[str, Channel] = {}
    missing = []
    for channel_id in dict.fromkeys(c for c in channel_ids if c):
        channel = channel_remembered(channel_id)
        if channel is None:
            missing.append(channel_id)
        else:
            found[channel_id] = channel
    client = dynamodb_client() if missing else None
    for start in range(0, len(missing), CHANNELS_PER_BATCH):
        chunk = missing[start : start + CHANNELS_PER_BATCH]
        request = {Channel.Meta.table_name: {"Keys": [{"channel_id": {"S": c}} for c in chunk]}}
        while request:
            response = client.batch_get_item(RequestItems=request)
            for raw in response.get("Responses", {}).get(Channel.Meta.table_name, []):
                channel = Channel.from_raw_data(raw)
                channel_remember(channel)
                found[channel.channel_id] = channel
            request = response.get("UnprocessedKeys") or {}
    return found
