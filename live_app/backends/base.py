"""The live backend interface: Amazon IVS in production, the local RTMP ingest by default."""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field


class LiveBackendError(Exception):
    """The live backend could not do what was asked; ``reason`` is safe to show or log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LiveChannel:
    """Where a creator publishes to and viewers play from; ``stream_key`` is a secret."""

    channel_arn: str | None
    ingest_url: str
    # Out of the repr so logs and tracebacks that print a channel don't show the key.
    stream_key: str = field(repr=False)
    playback_url: str | None
    stream_key_arn: str | None = None


@dataclass(frozen=True)
class FoundRecording:
    """A finished recording found in storage (where the Recording End event points)."""

    bucket: str
    prefix: str


class LiveBackend(ABC):
    name: str
    player: str  # "ivs" or "hls": which player the live page loads
    # True: a channel of ours keeps one channel on the service for its life, and each
    # session gets a new key on it (IVS limits how many channels an account may have
    # and how fast they are made). False: each session has its own (the local ingest).
    reuses_channels: bool = False

    @abstractmethod
    def create_channel(
        self, *, stream_id: str, name: str, private: bool, channel_id: str | None = None
    ) -> LiveChannel:
        """Create a channel with its stream key: for one live session, or, when the
        backend reuses channels, for the channel of ours ``channel_id`` for its life."""

    def renew_stream_key(self, *, channel: LiveChannel) -> LiveChannel:
        """A new key for a new session on a reused channel nobody streams to; the key
        it had stops working."""
        return self.rotate_stream_key(channel=channel)

    @abstractmethod
    def rotate_stream_key(self, *, channel: LiveChannel) -> LiveChannel:
        """Replace the channel's stream key; returns the channel with the new key."""

    @abstractmethod
    def revoke_stream_key(self, *, channel: LiveChannel) -> None:
        """Stop any stream and make the channel's key useless (a banned owner's)."""

    @abstractmethod
    def stop_stream(self, *, channel: LiveChannel, stream_id: str) -> None:
        """Disconnect the publisher streaming to the channel for the session
        ``stream_id`` (the owner's "End stream"), so that it cannot carry on with the same
        key: encoders reconnect on their own. The stream then ends as any stream does
        (its recording becomes the replay). A channel nobody streams to is not an error."""

    @abstractmethod
    def delete_channel(self, *, channel: LiveChannel) -> None:
        """Remove the channel; deleting one that is already gone is not an error."""

    @abstractmethod
    def playback_url(
        self, *, channel: LiveChannel, private: bool, viewer_id: str | None
    ) -> str | None:
        """The URL a viewer's player loads, signed for private channels; None if unknown."""

    @abstractmethod
    def is_broadcasting(self, *, channel: LiveChannel, stream_id: str) -> bool:
        """Whether a publisher is streaming to the channel right now (asked of the
        service itself, for when the Stream End event was lost)."""

    @abstractmethod
    def find_recording(
        self, *, channel: LiveChannel, stream_id: str, since: int, until: int | None = None
    ) -> FoundRecording | None:
        """The channel's newest finished recording begun at or after ``since`` (Unix
        seconds), for when the Recording End event was lost. On a reused channel,
        ``until`` is when the channel's next session was created: a recording finished
        after that is the next session's."""
