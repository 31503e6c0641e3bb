"""Reads for users and channels."""

from pynamodb.exceptions import DoesNotExist

from channels_app.models import Channel, User
from videoplatform.dynamodb import key_usable
from videoplatform.models import UniqueClaim


def user_get(user_id: str) -> User | None:
    if not key_usable(user_id):
        return None
    try:
        return User.get(user_id)
    except DoesNotExist:
        return None


def user_get_by_email(email: str) -> User | None:
    """Through the email claim: a strongly consistent read, unlike the email GSI."""
    try:
        claim = UniqueClaim.get(f"email#{email}", consistent_read=True)
    except DoesNotExist:
        return None
    return user_get(claim.owner_id)


def users_by_email_index(email: str) -> list[User]:
    """The email GSI (eventually consistent): for admin tools, not for log-in."""
    return list(User.email_index.query(email, limit=5))


def channel_get(channel_id: str) -> Channel | None:
    if not key_usable(channel_id):
        return None
    try:
        return Channel.get(channel_id)
    except DoesNotExist:
        return None


def channel_get_by_handle(handle: str) -> Channel | None:
    handle = (handle or "").strip().lstrip("@").lower()
    if not handle or len(handle) > 30:
        return None
    try:
        claim = UniqueClaim.get(f"handle#{handle}")
    except DoesNotExist:
        return None
    return channel_get(claim.owner_id)


def channels_for_owner(user_id: str, *, limit: int = 50) -> list[Channel]:
    return list(Channel.owner_index.query(user_id, limit=limit))
