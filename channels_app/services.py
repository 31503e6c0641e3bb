"""Channels: create, edit, the owner-banned flag. The only writer of the Channels table
(and of the handle claims). Views call these; they raise ApplicationError."""

import re

from django.utils.translation import gettext as _
from pynamodb.exceptions import TransactWriteError, UpdateError

from channels_app.models import Channel, User
from videoplatform import reactions
from videoplatform.dynamodb import condition_failed, new_id, now_s, transaction
from videoplatform.errors import ApplicationError, Conflict, PermissionDenied
from videoplatform.models import UniqueClaim
from videoplatform.text import clean_text

CHANNEL_NAME_MAX = 60
DESCRIPTION_MAX = 1000
HANDLE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{2,29}$")


def handle_claim(handle: str) -> str:
    return f"handle#{handle}"


# --- Channels ------------------------------------------------------------------------


def require_channel_editor(*, actor, channel: Channel) -> None:
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("Log in to manage channels."))
    if actor.user_id != channel.owner_user_id and not actor.is_staff:
        raise PermissionDenied(_("You cannot edit this channel."))


def clean_handle(handle: str) -> str:
    value = (handle or "").strip().lstrip("@").lower()
    if not HANDLE_RE.fullmatch(value):
        raise ApplicationError(
            _(
                "Handles are 3-30 characters: letters a-z, digits, '-' or '_', "
                "starting with a letter or digit."
            ),
            field="handle",
        )
    return value


def channel_create(*, owner: User, name: str, handle: str, description: str = "") -> Channel:
    """Create a channel; the handle is claimed in the same transaction."""
    if owner.is_banned:
        raise PermissionDenied(_("This account is suspended."))
    name = clean_text(
        name, field="name", label=_("Name"), max_length=CHANNEL_NAME_MAX, required=True
    )
    handle = clean_handle(handle)
    description = clean_text(
        description,
        field="description",
        label=_("Description"),
        max_length=DESCRIPTION_MAX,
        required=False,
    )
    channel = Channel(
        new_id(),
        owner_user_id=owner.user_id,
        handle=handle,
        name=name,
        description=description,
        created_at=now_s(),
    )
    claim = UniqueClaim(handle_claim(handle), owner_id=channel.channel_id)
    try:
        with transaction() as tx:
            tx.save(claim, condition=UniqueClaim.claim_id.does_not_exist())
            tx.save(channel, condition=Channel.channel_id.does_not_exist())
    except TransactWriteError as error:
        if condition_failed(error):
            raise Conflict(
                _("The handle @%(handle)s is taken.") % {"handle": handle}, field="handle"
            ) from None
        raise
    reactions.announce(reactions.CHANNEL_CHANGED, channel_id=channel.channel_id)
    return channel


def channel_update(*, actor, channel: Channel, name: str, description: str) -> Channel:
    require_channel_editor(actor=actor, channel=channel)
    name = clean_text(
        name, field="name", label=_("Name"), max_length=CHANNEL_NAME_MAX, required=True
    )
    description = clean_text(
        description,
        field="description",
        label=_("Description"),
        max_length=DESCRIPTION_MAX,
        required=False,
    )
    try:
        channel.update(
            actions=[Channel.name.set(name), Channel.description.set(description)],
            condition=Channel.channel_id.exists(),
        )
    except UpdateError as error:
        if condition_failed(error):
            raise ApplicationError(_("This channel no longer exists.")) from None
        raise
    reactions.announce(reactions.CHANNEL_CHANGED, channel_id=channel.channel_id)
    return channel


def channels_set_owner_banned(*, owner_user_id: str, banned: bool) -> int:
    """Hide (or show again) every channel of a banned (or unbanned) user."""
    changed = 0
    for channel in Channel.owner_index.query(owner_user_id):
        channel.update(actions=[Channel.owner_banned.set(banned)])
        reactions.announce(reactions.CHANNEL_CHANGED, channel_id=channel.channel_id)
        changed += 1
    return changed
