"""What reaches the index: reactions to the announcements other apps make
(videoplatform.reactions), each marking the documents to index again."""

import threading
import time

from django.conf import settings

from videoplatform.reactions import (
    CHANNEL_CHANGED,
    COUNTED,
    STREAM_CHANGED,
    STREAM_STARTED,
    VIDEO_CHANGED,
    VIDEO_PUBLISHED,
    react,
)
from videos_app.search import outbox
from videos_app.search.base import Kind, doc_id_for


def video_changed(*, video_id: str) -> None:
    outbox.mark([doc_id_for(Kind.VIDEO, video_id)])


def video_published(*, video) -> None:
    outbox.mark([doc_id_for(Kind.VIDEO, video.video_id)])


def channel_changed(*, channel_id: str) -> None:
    outbox.mark([doc_id_for(Kind.CHANNEL, channel_id)])


def stream_changed(*, stream_id: str) -> None:
    outbox.mark([doc_id_for(Kind.LIVE, stream_id)])


def stream_started(*, session, channel) -> None:
    outbox.mark([doc_id_for(Kind.LIVE, session.stream_id)])


class CountsThinner:
    """Marks a subject's document for its new counts at most once per ``every_s`` in
    this process: a video watched a thousand times a minute is indexed again once."""

    MAX_SUBJECTS = 50_000

    def __init__(self, every_s: float):
        self.every_s = every_s
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def due(self, subject: str, *, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            last = self._last.get(subject)
            if last is not None and now - last < self.every_s:
                return False
            if len(self._last) >= self.MAX_SUBJECTS:
                self._last = {s: t for s, t in self._last.items() if now - t < self.every_s}
            self._last[subject] = now
            return True


_thinner = CountsThinner(settings.SEARCH_COUNTS_REFRESH_S)

SUBJECT_KINDS = {"video": Kind.VIDEO, "channel": Kind.CHANNEL}


def counted(*, subject: str) -> None:
    kind, _, item_id = subject.partition("#")
    if kind in SUBJECT_KINDS and item_id and _thinner.due(subject):
        outbox.mark([doc_id_for(SUBJECT_KINDS[kind], item_id)])


def connect() -> None:
    react(VIDEO_CHANGED, video_changed)
    react(VIDEO_PUBLISHED, video_published)
    react(CHANNEL_CHANGED, channel_changed)
    react(STREAM_CHANGED, stream_changed)
    react(STREAM_STARTED, stream_started)
    react(COUNTED, counted)
