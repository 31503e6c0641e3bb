"""Reads for users and channels."""

from channels_app.models import Channel, User
from videoplatform.dynamodb import item_or_none
from videoplatform.models import UniqueClaim


def user_get(user_id: str) -> User | None:
    return item_or_none(User, user_id)


def user_get_by_email(email: str) -> User | None:
    """Through the email claim: a strongly consistent read, unlike the email GSI."""
    claim = item_or_none(UniqueClaim, f"email#{email}", consistent=True)
    return user_get(claim.owner_id) if claim else None


def channel_get(channel_id: str) -> Channel | None:
    return item_or_none(Channel, channel_id)


def channel_get_by_handle(handle: str) -> Channel | None:
    handle = (handle or "").strip().lstrip("@").lower()
    if not handle or len(handle) > 30:
        return None
    claim = item_or_none(UniqueClaim, f"handle#{handle}")
    return channel_get(claim.owner_id) if claim else None


def channels_for_owner(user_id: str, *, limit: int = 50) -> list[Channel]:
    return list(Channel.owner_index.query(user_id, limit=limit))
