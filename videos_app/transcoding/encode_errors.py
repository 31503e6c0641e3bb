"""The one error an ffmpeg HLS encode raises, shared by the modules that make it up."""


class EncodeError(Exception):
    """ffmpeg failed; `reason` is one readable line, never a whole log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
