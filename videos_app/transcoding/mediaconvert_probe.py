"""Read a MediaConvert Probe result as the same `SourceInfo` the ffmpeg probe gives.

Pure: no AWS calls here. The ladder is then built by `ladder.build_ladder` for both
backends, so a source is never scaled up and a portrait video is sized by its short side
whichever transcoder runs. Every refusal is an `InvalidSourceError` whose `reason` can be
shown to the creator as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from videos_app.transcoding.probe import InvalidSourceError, SourceInfo, validate_source

# Probe answers these when the file itself cannot be read; anything else (throttling,
# permissions, an outage) is not the creator's file and is tried again later.
FILE_REFUSAL_CODES = frozenset(
    {"BadRequestException", "UnprocessableEntityException", "NotFoundException"}
)


def source_info_from_probe(result: Mapping[str, Any]) -> SourceInfo:
    """Describe one `ProbeResults` entry, or raise InvalidSourceError saying why it is unusable."""
    container: Mapping[str, Any] = result.get("Container") or {}
    tracks: Sequence[Mapping[str, Any]] = container.get("Tracks") or []
    video = next((t for t in tracks if t.get("TrackType") == "video"), None)
    if video is None:
        raise InvalidSourceError("The video has no video stream")
    properties: Mapping[str, Any] = video.get("VideoProperties") or {}
    codec_metadata: Mapping[str, Any] = properties.get("CodecMetadata") or {}
    coded_width = properties.get("Width") or codec_metadata.get("Width")
    coded_height = properties.get("Height") or codec_metadata.get("Height")
    if not coded_width or not coded_height:
        raise InvalidSourceError("This file is not a video we can read")
    coded_width, coded_height = int(coded_width), int(coded_height)

    # Like the ffmpeg probe: when the container and the bitstream both declare a pixel
    # aspect ratio, the container's wins.
    sar_num, sar_den = (
        _ratio(properties.get("SampleAspectRatio"))
        or _ratio(codec_metadata.get("SampleAspectRatio"))
        or (1, 1)
    )
    rotation = _quarter_turns(properties.get("Rotation") or codec_metadata.get("Rotation") or 0)
    width = max(1, round(coded_width * sar_num / sar_den))
    height = coded_height
    if rotation in (90, 270):
        # MediaConvert turns the picture (VideoSelector Rotate AUTO), so the ladder is
        # built for the size it is displayed at.
        width, height = height, width

    audio = next((t for t in tracks if t.get("TrackType") == "audio"), None)
    audio_properties: Mapping[str, Any] = (audio or {}).get("AudioProperties") or {}
    duration = container.get("Duration") or video.get("Duration")
    bitrate = properties.get("BitRate") or container.get("BitRate")
    info = SourceInfo(
        width=width,
        height=height,
        coded_width=coded_width,
        coded_height=coded_height,
        rotation=rotation,
        fps=_fps(properties.get("FrameRate") or codec_metadata.get("CodedFrameRate")),
        duration_s=float(duration or 0.0),
        has_audio=audio is not None,
        audio_channels=int(audio_properties.get("Channels") or (2 if audio else 0)),
        video_codec=str(video.get("Codec") or "").lower(),
        bitrate_bps=int(bitrate) if bitrate else None,
        audio_codec=str((audio or {}).get("Codec") or "").lower(),
        audio_sample_rate=int(audio_properties.get("SampleRate") or 0),
        audio_bitrate_bps=int(audio_properties["BitRate"])
        if audio_properties.get("BitRate")
        else None,
    )
    # A container without a duration is left to MediaConvert rather than refused.
    validate_source(info=info, duration_known=bool(duration))
    return info


def _ratio(value: Mapping[str, Any] | None) -> tuple[int, int] | None:
    if not value:
        return None
    numerator, denominator = value.get("Numerator"), value.get("Denominator")
    if not numerator or not denominator or numerator <= 0 or denominator <= 0:
        return None
    return int(numerator), int(denominator)


def _quarter_turns(degrees: int | float) -> int:
    return round(float(degrees) / 90) * 90 % 360


def _fps(value: Mapping[str, Any] | None) -> float:
    ratio = _ratio(value)
    # 0 lets the ladder fall back to its default rate, as for an ffmpeg source without one.
    return ratio[0] / ratio[1] if ratio else 0.0
