"""The transcoder interface: the ffmpeg worker locally, MediaConvert on AWS."""

from abc import ABC, abstractmethod

from videos_app.models import Video


class TranscoderBackend(ABC):
    name: str

    @abstractmethod
    def submit(self, *, video: Video) -> None:
        """Start transcoding an ``uploaded`` video (moves it to ``queued``)."""

    @abstractmethod
    def reconcile(self, *, video: Video, now: int, dry_run: bool) -> str:
        """Settle a video stuck in a pending state from the backend's own truth.

        Returns a short description of what was (or, with dry_run, would be) done.
        """
