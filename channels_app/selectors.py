"""Reads for users and channels."""

from channels_app import recent
from channels_app.models import Channel, User
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
