"""Who may see and who may change a video (selectors and services both ask)."""

from django.utils.translation import gettext as _

from videoplatform.errors import PermissionDenied
from videos_app.models import Video, VideoStatus, Visibility


def can_manage(actor, video: Video) -> bool:
    return bool(
        getattr(actor, "is_authenticated", False)
        and (actor.user_id == video.owner_user_id or actor.is_staff)
    )


def require_manager(actor, video: Video) -> None:
    if not can_manage(actor, video):
        raise PermissionDenied(_("You cannot change this video."))


def require_owner(actor, video: Video) -> None:
    """Only the uploader sends a video's file or cancels its upload (staff manage, but
    never upload in someone else's name)."""
    if not getattr(actor, "is_authenticated", False) or actor.user_id != video.owner_user_id:
        raise PermissionDenied(_("Only the video's owner can do this."))


def can_view(user, video: Video) -> bool:
    """Public and unlisted videos are for anyone with the link; private for owner and staff."""
    if can_manage(user, video):
        return True
    if video.status == VideoStatus.REMOVED or video.owner_banned:
        return False
    return video.visibility in {Visibility.PUBLIC, Visibility.UNLISTED}
