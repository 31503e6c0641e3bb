"""Who may see and who may change a video (selectors and services both ask)."""

from videoplatform.errors import PermissionDenied
from videos_app.models import Video, VideoStatus, Visibility


def can_manage(actor, video: Video) -> bool:
    return bool(
        getattr(actor, "is_authenticated", False)
        and (actor.user_id == video.owner_user_id or actor.is_staff)
    )


def require_manager(actor, video: Video) -> None:
    if not can_manage(actor, video):
        raise PermissionDenied("You cannot change this video.")


def can_view(user, video: Video) -> bool:
    """Public and unlisted videos are for anyone with the link; private for owner and staff."""
    if can_manage(user, video):
        return True
    if video.status == VideoStatus.REMOVED or video.owner_banned:
        return False
    return video.visibility in {Visibility.PUBLIC, Visibility.UNLISTED}
