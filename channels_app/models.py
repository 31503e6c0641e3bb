"""Users and channels (PynamoDB models mirroring the DynamoDB schema)."""

from enum import StrEnum

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from channels_app import recent
from videoplatform.dynamodb import ExpiresAtAttribute, base_meta, register
from videoplatform.local_cache import ForgetsOnWrite


class Role(StrEnum):
    ADMIN = "admin"
    MODERATOR = "moderator"


class UserStatus(StrEnum):
    ACTIVE = "active"
    BANNED = "banned"


class UserEmailIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "email-index"
        projection = AllProjection()

    email = UnicodeAttribute(hash_key=True)


@register
class User(Model):
    Meta = base_meta("Users")

    user_id = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute()
    display_name = UnicodeAttribute()
    # Empty for Cognito users: they prove who they are to Cognito, not to us.
    password_hash = UnicodeAttribute(null=True)
    cognito_sub = UnicodeAttribute(null=True)
    roles = UnicodeSetAttribute(default=set)
    status = UnicodeAttribute(default=UserStatus.ACTIVE)
    created_at = NumberAttribute()
    # "light" or "dark"; empty follows the device (prefers-color-scheme).
    theme = UnicodeAttribute(null=True)

    email_index = UserEmailIndex()

    is_authenticated = True

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in (self.roles or set())

    @property
    def is_moderator(self) -> bool:
        return Role.MODERATOR in (self.roles or set())

    @property
    def is_staff(self) -> bool:
        return self.is_admin or self.is_moderator

    @property
    def is_banned(self) -> bool:
        return self.status == UserStatus.BANNED


class ChannelOwnerIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "owner-index"
        projection = AllProjection()

    owner_user_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


@register
class Channel(ForgetsOnWrite, Model):
    Meta = base_meta("Channels")

    def forget_recent(self) -> None:
        recent.by_handle.discard(getattr(self, "handle", None) or "")
        recent.by_id.discard(self.channel_id)
        recent.by_owner.discard(getattr(self, "owner_user_id", None) or "")

    channel_id = UnicodeAttribute(hash_key=True)
    owner_user_id = UnicodeAttribute()
    # Stored lower-case; uniqueness is held by a UniqueClaim item ``handle#<handle>``.
    handle = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    avatar_key = UnicodeAttribute(null=True)
    banner_key = UnicodeAttribute(null=True)
    created_at = NumberAttribute()
    # Set while the owner is banned: the channel page is hidden from everyone but staff.
    owner_banned = BooleanAttribute(default=False)

    owner_index = ChannelOwnerIndex()

    # Counts live in the Tallies table; selectors that read them attach them here.
    counts = None

    @property
    def subscriber_count(self) -> int:
        return self.counts.subscribers if self.counts else 0

    @property
    def video_count(self) -> int:
        return self.counts.videos if self.counts else 0


@register
class PendingSignup(Model):
    """A sign-up waiting for its owner to follow the emailed link.

    Keyed by the SHA-256 of the link's token, never the token itself, so a leaked row
    cannot confirm anything. Holds the password only as a hash.
    """

    Meta = base_meta("PendingSignups", ttl_attribute="expires_at")

    signup_id = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute()
    display_name = UnicodeAttribute()
    password_hash = UnicodeAttribute()
    # Where to go after confirming: a path on this site, checked when stored and when used.
    next_path = UnicodeAttribute(null=True)
    created_at = NumberAttribute()
    expires_at = ExpiresAtAttribute()
