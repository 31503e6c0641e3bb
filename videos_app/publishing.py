"""Publishing: which videos are listed (home feed, channel page), and every change that
can move a video in or out of the listings: the creator's edits and deletion, the first
publish after transcoding, a moderator's removal and restore, an owner's ban and unban.

One function, ``_write_listed``, decides and writes the listing and moves the channel's
public-video count with it, so the rule is written once.
"""

from django.conf import settings
from django.utils.translation import gettext
from pynamodb.exceptions import DeleteError, UpdateError

from videoplatform import reactions, storage
from videoplatform.dynamodb import condition_failed, now_s
from videoplatform.errors import ApplicationError
from videoplatform.tallies import channel_subject, tally_add
from videoplatform.text import clean_text
from videos_app.keys import hls_prefix, source_key_of
from videos_app.models import (
    PENDING_STATUSES,
    Video,
    VideoStatus,
    Visibility,
    feed_shard_of,
)
from videos_app.permissions import require_manager
from videos_app.states import not_pending_actions, pending_actions
from videos_app.transcode_outputs import output_actions

TITLE_MAX = 100
DESCRIPTION_MAX = 5000
# A video caught between two writers is read again and the change tried once more.
RETRIES = 3


def should_list(*, status: str, visibility: str, owner_banned: bool) -> bool:
    """Listed: ready, public, and its owner not banned."""
    return status == VideoStatus.READY and visibility == Visibility.PUBLIC and not owner_banned


def _listing_actions(video: Video, listed: bool) -> list:
    if listed:
        return [
            Video.public_channel_id.set(video.channel_id),
            Video.feed_shard.set(feed_shard_of(video.video_id)),
            Video.published_at.set(video.published_at or now_s()),
        ]
    return [Video.public_channel_id.remove(), Video.feed_shard.remove()]


def _write_listed(
    video: Video, *, actions: list, condition, listed: bool, sets_ban: bool = False
) -> bool:
    """Apply ``actions`` under ``condition`` and make the video listed or not, in one
    conditional update that also checks the listing is still what this copy says;
    then move the channel's count of public videos by the change. False (nothing
    written) when a condition did not hold."""
    was_listed = video.listed
    same_listing = Video.feed_shard.exists() if was_listed else Video.feed_shard.does_not_exist()
    if listed and not sets_ban:
        # A ban landing between the read and this write must win: a banned owner's
        # video (a transcode finishing, a restore) is never listed.
        same_listing &= Video.owner_banned.does_not_exist() | (Video.owner_banned == False)  # noqa: E712
    if listed != was_listed:
        actions = [*actions, *_listing_actions(video, listed)]
    try:
        video.update(actions=actions, condition=condition & same_listing)
    except UpdateError as error:
        if condition_failed(error):
            return False
        raise
    if listed != was_listed:
        tally_add(channel_subject(video.channel_id), videos=1 if listed else -1)
    reactions.announce(reactions.VIDEO_CHANGED, video_id=video.video_id)
    return True


def _clean_visibility(value: str) -> Visibility:
    try:
        return Visibility(value)
    except ValueError:
        raise ApplicationError(
            gettext("Choose public, unlisted or private."), field="visibility"
        ) from None


def clean_details(title: str, description: str, visibility: str):
    """A title, description and visibility as a creator typed them, checked."""
    return (
        clean_text(
            title, field="title", label=gettext("Title"), max_length=TITLE_MAX, required=True
        ),
        clean_text(
            description,
            field="description",
            label=gettext("Description"),
            max_length=DESCRIPTION_MAX,
            required=False,
        ),
        _clean_visibility(visibility),
    )


def video_update(*, actor, video: Video, title: str, description: str, visibility: str) -> Video:
    """The creator's edit: title, description and visibility."""
    require_manager(actor, video)
    if video.status == VideoStatus.REMOVED:
        raise ApplicationError(gettext("A removed video cannot be edited."))
    title, description, visibility = clean_details(title, description, visibility)
    written = _write_listed(
        video,
        actions=[
            Video.title.set(title),
            Video.description.set(description),
            Video.visibility.set(str(visibility)),
        ],
        condition=Video.status == video.status,
        listed=should_list(
            status=video.status, visibility=visibility, owner_banned=video.owner_banned
        ),
    )
    if not written:
        raise ApplicationError(gettext("This video changed meanwhile; reload the page."))
    return video


def video_delete(*, actor, video: Video) -> None:
    """Delete the video, its source and its media.

    The files go first: if storage is down nothing is deleted and the video stays,
    so the creator can retry; a file is never left behind without its video.
    """
    require_manager(actor, video)
    if video.upload_id and video.status == VideoStatus.UPLOADING:
        storage.multipart_abort(
            bucket=settings.S3_RAW_BUCKET, key=source_key_of(video), upload_id=video.upload_id
        )
    storage.delete_object(bucket=settings.S3_RAW_BUCKET, key=source_key_of(video))
    storage.delete_prefix(bucket=settings.S3_MEDIA_BUCKET, prefix=hls_prefix(video.video_id))
    for _ in range(RETRIES):
        was_listed = video.listed
        listing = Video.feed_shard.exists() if was_listed else Video.feed_shard.does_not_exist()
        try:
            video.delete(condition=Video.video_id.exists() & listing)
        except DeleteError as error:
            if not condition_failed(error):
                raise
            try:
                video.refresh(consistent_read=True)
            except Video.DoesNotExist:
                return  # already gone
            continue
        if was_listed:
            tally_add(channel_subject(video.channel_id), videos=-1)
        reactions.announce(reactions.VIDEO_CHANGED, video_id=video.video_id)
        return
    raise ApplicationError(gettext("This video changed meanwhile; try again."))


def video_publish(*, video: Video, outputs: dict) -> bool:
    """A pending video's transcode finished: record its outputs and publish it. Listed
    (and announced, so subscribers hear of it) when public and its owner in good
    standing. False when the video had already left its pending states."""
    condition = Video.status.is_in(*[str(s) for s in PENDING_STATUSES])
    for _ in range(RETRIES):
        listed = should_list(
            status=VideoStatus.READY, visibility=video.visibility, owner_banned=video.owner_banned
        )
        actions = [
            Video.status.set(str(VideoStatus.READY)),
            Video.progress.set(100),
            *not_pending_actions(),
            Video.lease_owner.remove(),
            Video.lease_expires_at.remove(),
            Video.status_reason.remove(),
            *output_actions(outputs),
        ]
        if not listed:
            actions.append(Video.published_at.set(video.published_at or now_s()))
        if _write_listed(video, actions=actions, condition=condition, listed=listed):
            if listed:
                reactions.announce(reactions.VIDEO_PUBLISHED, video=video)
            return True
        # Banned (or edited) since it was read: read it again and decide again.
        try:
            video.refresh(consistent_read=True)
        except Video.DoesNotExist:
            return False
        if video.status not in PENDING_STATUSES:
            return False
    return False


def video_take_down(*, video: Video, reason: str) -> Video:
    """A moderator removes a video (the caller checked the role): out of every listing,
    its playlists no longer served; the status to restore is remembered."""
    if video.status == VideoStatus.REMOVED:
        raise ApplicationError(gettext("This video is already removed."))
    written = _write_listed(
        video,
        actions=[
            Video.removed_from_status.set(video.status),
            Video.status.set(str(VideoStatus.REMOVED)),
            Video.status_reason.set(reason),
            *not_pending_actions(),
            Video.in_review.set(False),
        ],
        condition=Video.status == video.status,
        listed=False,
    )
    if not written:
        raise ApplicationError(gettext("The video changed meanwhile; reload and try again."))
    return video


def video_put_back(*, video: Video) -> Video:
    """A moderator restores a removed video to the status it had. A pending or
    uploading one goes back in the pending index, where the worker, reconcile or the
    upload sweep will find it."""
    if video.status != VideoStatus.REMOVED:
        raise ApplicationError(gettext("Only a removed video can be restored."))
    previous = VideoStatus(video.removed_from_status or VideoStatus.READY)
    if previous in PENDING_STATUSES or previous == VideoStatus.UPLOADING:
        status_actions = pending_actions(video, previous)
    else:
        status_actions = [Video.status.set(str(previous))]
    written = _write_listed(
        video,
        actions=[*status_actions, Video.status_reason.remove(), Video.removed_from_status.remove()],
        condition=Video.status == str(VideoStatus.REMOVED),
        listed=should_list(
            status=previous, visibility=video.visibility, owner_banned=video.owner_banned
        ),
    )
    if not written:
        raise ApplicationError(gettext("The video changed meanwhile; reload and try again."))
    return video


def video_set_in_review(*, video_id: str, in_review: bool) -> None:
    """Flag a much-reported video for moderators (it stays visible meanwhile)."""
    try:
        Video(video_id).update(
            actions=[Video.in_review.set(in_review)], condition=Video.video_id.exists()
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise


def videos_set_owner_banned(*, owner_user_id: str, banned: bool) -> int:
    """Hide (or show again) every video of a banned (or unbanned) owner, each out of or
    back in the listings by the same rule as any other change. Returns how many moved."""
    changed = 0
    for video in Video.owner_index.query(owner_user_id):
        for _ in range(RETRIES):
            written = _write_listed(
                video,
                actions=[Video.owner_banned.set(banned)],
                condition=Video.status == video.status,
                sets_ban=True,
                listed=should_list(
                    status=video.status, visibility=video.visibility, owner_banned=banned
                ),
            )
            if written:
                changed += 1
                break
            try:
                video.refresh(consistent_read=True)
            except Video.DoesNotExist:
                break
    return changed
