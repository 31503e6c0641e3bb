"""The transcoder interface: the ffmpeg worker locally, MediaConvert on AWS.

A backend only talks to its transcoder and answers with an outcome; the video's state
is changed by ``videos_app.transcode_jobs``, which reads the outcome.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Literal

from videos_app.models import Video


@dataclass(frozen=True)
class Submission:
    """``accepted`` False: the transcoder refused for now (the video stays
    ``uploaded`` and reconcile submits it again), or, with ``failure_reason``, for good
    (the source is not a usable video: the video fails with that reason). ``job_id``
    None: a local worker takes the video from the queue. ``probed``: what a probe at
    submission learnt (``duration_s``, ``width``, ``height`` of the top rendition),
    recorded on the video as the ffmpeg worker's events record them."""

    accepted: bool
    job_id: str | None = None
    failure_reason: str | None = None
    probed: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Settlement:
    """What reconcile should do with a stuck video, by the transcoder's own truth.

    ``submit``: hand it to the transcoder again; ``requeue``: its worker's lease ran out;
    ``fail`` with ``reason``; ``event``: apply ``detail`` (a MediaConvert job state
    change) through the event handler; ``none``: leave it. ``note`` says why."""

    action: Literal["none", "submit", "requeue", "fail", "event"]
    note: str
    reason: str = ""
    detail: dict | None = None


class TranscoderBackend(ABC):
    name: str

    @abstractmethod
    def submit(self, *, video: Video) -> Submission:
        """Start transcoding an ``uploaded`` video."""

    @abstractmethod
    def settle(self, *, video: Video, now: int) -> Settlement:
        """Look at a video stuck in a pending state; say what would settle it."""
