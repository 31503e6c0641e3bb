"""What the index keeps of a video, channel or live stream, read fresh from DynamoDB.

``documents_for`` answers, for each document id, the document to index, or None when
the item must not be found (gone, private, unlisted, not ready, removed, its owner
banned, a stream no longer live): the indexer then deletes it from the engine.
"""

from channels_app.models import Channel
from live_app.models import LiveStatus, LivestreamSession
from videoplatform.dynamodb import batch_get_raw
from videoplatform.models import Tally
from videoplatform.tallies import (
    Counts,
    channel_subject,
    counts_from_items,
    tally_keys,
    video_subject,
)
from videos_app.models import Video
from videos_app.publishing import should_list
from videos_app.search.base import Kind, SearchDocument, doc_id_for, split_doc_id


def video_findable(video: Video, channel: Channel | None) -> bool:
    return (
        channel is not None
        and not channel.owner_banned
        and should_list(
            status=video.status, visibility=video.visibility, owner_banned=video.owner_banned
        )
    )


def stream_findable(session: LivestreamSession, channel: Channel | None) -> bool:
    return session.status == LiveStatus.LIVE and channel is not None and not channel.owner_banned


def channel_findable(channel: Channel) -> bool:
    return not channel.owner_banned


def _ids(doc_ids, kind: Kind) -> list[str]:
    parsed = (split_doc_id(doc_id) for doc_id in doc_ids)
    return [item_id for found in parsed if found and found[0] == kind for item_id in [found[1]]]


def read_items(doc_ids, *, consistent: bool = False, extra_channel_ids=()) -> dict:
    """The videos, channels and streams behind ``doc_ids`` (and ``extra_channel_ids``)
    in one BatchGetItem per 100 keys: {"video": {id: Video}, "channel": ..., "live": ...}."""
    video_ids = _ids(doc_ids, Kind.VIDEO)
    stream_ids = _ids(doc_ids, Kind.LIVE)
    channel_ids = list(dict.fromkeys(_ids(doc_ids, Kind.CHANNEL) + list(extra_channel_ids)))
    raw = batch_get_raw(
        {
            Video.Meta.table_name: [{"video_id": {"S": v}} for v in video_ids],
            Channel.Meta.table_name: [{"channel_id": {"S": c}} for c in channel_ids],
            LivestreamSession.Meta.table_name: [{"stream_id": {"S": s}} for s in stream_ids],
        },
        consistent=consistent,
    )
    videos = [Video.from_raw_data(r) for r in raw[Video.Meta.table_name]]
    channels = [Channel.from_raw_data(r) for r in raw[Channel.Meta.table_name]]
    sessions = [LivestreamSession.from_raw_data(r) for r in raw[LivestreamSession.Meta.table_name]]
    return {
        Kind.VIDEO: {v.video_id: v for v in videos},
        Kind.CHANNEL: {c.channel_id: c for c in channels},
        Kind.LIVE: {s.stream_id: s for s in sessions},
    }


def documents_for(doc_ids) -> dict[str, SearchDocument | None]:
    doc_ids = list(dict.fromkeys(doc_ids))
    items = read_items(doc_ids, consistent=True)
    # The channels the videos and streams belong to, and every subject's counts.
    wanted = {v.channel_id for v in items[Kind.VIDEO].values()}
    wanted |= {s.channel_id for s in items[Kind.LIVE].values()}
    subjects = [video_subject(v) for v in items[Kind.VIDEO]]
    subjects += [channel_subject(c) for c in items[Kind.CHANNEL]]
    raw = batch_get_raw(
        {
            Channel.Meta.table_name: [
                {"channel_id": {"S": c}} for c in wanted - set(items[Kind.CHANNEL])
            ],
            Tally.Meta.table_name: [key for s in subjects for key in tally_keys(s)],
        },
        consistent=True,
    )
    channels = dict(items[Kind.CHANNEL])
    channels.update(
        {c.channel_id: c for c in map(Channel.from_raw_data, raw[Channel.Meta.table_name])}
    )
    counts = counts_from_items(raw[Tally.Meta.table_name])

    documents: dict[str, SearchDocument | None] = dict.fromkeys(doc_ids)
    for video in items[Kind.VIDEO].values():
        channel = channels.get(video.channel_id)
        if video_findable(video, channel):
            documents[doc_id_for(Kind.VIDEO, video.video_id)] = video_document(
                video, channel, counts.get(video_subject(video.video_id), Counts())
            )
    for channel in items[Kind.CHANNEL].values():
        if channel_findable(channel):
            documents[doc_id_for(Kind.CHANNEL, channel.channel_id)] = channel_document(
                channel, counts.get(channel_subject(channel.channel_id), Counts())
            )
    for session in items[Kind.LIVE].values():
        channel = channels.get(session.channel_id)
        if stream_findable(session, channel):
            documents[doc_id_for(Kind.LIVE, session.stream_id)] = stream_document(session, channel)
    return documents


def video_document(video: Video, channel: Channel, counts: Counts) -> SearchDocument:
    return SearchDocument(
        doc_id=doc_id_for(Kind.VIDEO, video.video_id),
        kind=Kind.VIDEO,
        title=video.title,
        description=video.description or "",
        channel_id=video.channel_id,
        channel_name=channel.name,
        handle=channel.handle,
        published_at=int(video.published_at or video.created_at or 0),
        duration_s=int(video.duration_s or 0),
        views=counts.views,
        likes=counts.likes,
    )


def channel_document(channel: Channel, counts: Counts) -> SearchDocument:
    return SearchDocument(
        doc_id=doc_id_for(Kind.CHANNEL, channel.channel_id),
        kind=Kind.CHANNEL,
        title=channel.name,
        description=channel.description or "",
        channel_id=channel.channel_id,
        channel_name=channel.name,
        handle=channel.handle,
        published_at=int(channel.created_at or 0),
        views=counts.subscribers,
    )


def stream_document(session: LivestreamSession, channel: Channel) -> SearchDocument:
    return SearchDocument(
        doc_id=doc_id_for(Kind.LIVE, session.stream_id),
        kind=Kind.LIVE,
        title=session.title,
        channel_id=session.channel_id,
        channel_name=channel.name,
        handle=channel.handle,
        published_at=int(session.started_at or session.created_at or 0),
    )
