"""Read what a source video is, using the ffmpeg binary alone (there is no ffprobe).

`probe_source` opens the file with `ffmpeg -i` and parses the stream summary that
ffmpeg prints on stderr, then decodes the last few seconds to catch files whose
header looks fine but whose data stops early (an upload cut off half-way).
Every refusal is an `InvalidSourceError` whose `reason` can be shown to the
creator as it is.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, replace

import imageio_ffmpeg

# A clip shorter than this cannot hold even one HLS segment worth watching.
MIN_DURATION_S = 1.0
# Below this size scaling filters and x264 misbehave; nobody uploads it on purpose.
MIN_DIMENSION_PX = 16
# Largest frame we accept (8K); bigger ones exhaust memory on the worker.
MAX_DIMENSION_PX = 8192
# How much of the end of the file is decoded to prove the data is all there.
TAIL_CHECK_S = 2.0
PROBE_TIMEOUT_S = 120.0

# Demuxers that read one picture (png_pipe, jpeg_pipe...), not a video. Animated
# GIFs are left to the duration check: a one-frame GIF is "too short".
_STILL_IMAGE_FORMATS = ("image2", "_pipe")
# ffmpeg renders any text file as ANSI art through these; none is a real upload.
_TEXT_FORMATS = ("tty", "bin", "xbin", "adf", "idf")
_TEXT_CODECS = ("ansi", "bintext", "xbin", "idf")

_DURATION_RE = re.compile(
    r"Duration: (?:(\d+):(\d+):(\d+(?:\.\d+)?)|N/A)(?:.*?bitrate: (\d+) kb/s)?"
)
_INPUT_RE = re.compile(r"^Input #0, ([^,]+(?:,[^ ]+)*), from", re.MULTILINE)
_STREAM_RE = re.compile(r"^\s*Stream #0:(\d+)\S*: (Video|Audio|Subtitle|Data|Attachment): (.*)$")
_SIZE_RE = re.compile(r", (\d+)x(\d+)(?=[ ,\]]|$)")
_SAR_RE = re.compile(r"SAR (\d+):(\d+) DAR")
_FPS_RE = re.compile(r", ([\d.]+)(k?) fps")
_TBR_RE = re.compile(r", ([\d.]+)(k?) tbr")
_KBPS_RE = re.compile(r", (\d+) kb/s")
_ROTATION_RE = re.compile(r"rotation of (-?[\d.]+) degrees", re.IGNORECASE)
_ROTATE_TAG_RE = re.compile(r"^\s*rotate\s*:\s*(-?\d+)", re.MULTILINE)
_CHANNELS_RE = re.compile(r"(\d+) channels")
_AUDIO_HEAD_RE = re.compile(r"^(\w+)(?: \(([^)/]+)\))?")
_SAMPLE_RATE_RE = re.compile(r", (\d+) Hz")
_LAYOUT_RE = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?")
_NAMED_LAYOUTS = {"mono": 1, "stereo": 2, "quad": 4, "downmix": 2, "hexagonal": 6, "octagonal": 8}
_QUIET = ["-hide_banner", "-nostdin", "-v", "error"]
# Decode to nowhere, reporting the last timestamp reached as out_time_us on stdout.
_NULL_OUTPUT = ["-f", "null", "-", "-progress", "pipe:1", "-nostats"]
_OUT_TIME_RE = re.compile(r"^out_time_us=(\d+)", re.MULTILINE)
# ffmpeg's words for data that ends before the index says it should.
_CORRUPTION_MARKERS = (
    "partial file",
    "invalid data found",
    "error splitting",
    "decoding error",
    "corrupt",
    "truncat",
    "error while decoding",
    "missing picture",
    "packet too small",
    "eof inside",
)


class InvalidSourceError(Exception):
    """The upload cannot be transcoded; `reason` is written for the creator."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SourceInfo:
    """What the transcoder needs to know about a source.

    `width`/`height` are the size the picture is displayed at: the coded size
    corrected by the sample aspect ratio and swapped for a quarter-turn
    rotation. `rotation` is the clockwise turn a player must apply (0, 90, 180
    or 270), the convention of the classic mp4 `rotate` tag.
    """

    width: int
    height: int
    coded_width: int
    coded_height: int
    rotation: int
    fps: float
    duration_s: float
    has_audio: bool
    audio_channels: int
    video_codec: str
    bitrate_bps: int | None = None
    # The first audio stream as ffmpeg names it ("aac", profile "LC"), when there is one.
    audio_codec: str = ""
    audio_profile: str = ""
    audio_sample_rate: int = 0
    audio_bitrate_bps: int | None = None


@dataclass
class _Stream:
    kind: str
    text: str
    extra: str


def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary shipped with imageio-ffmpeg."""
    return imageio_ffmpeg.get_ffmpeg_exe()


def probe_source(path: str) -> SourceInfo:
    """Describe the video at `path` or raise InvalidSourceError saying why it is unusable."""
    try:
        size = os.path.getsize(path)
    except OSError:
        raise InvalidSourceError("The file could not be found") from None
    if size == 0:
        raise InvalidSourceError("The file is empty")

    # Without an output ffmpeg just prints the stream summary and exits non-zero.
    header = _run_ffmpeg(args=["-hide_banner", "-nostdin", "-i", path])
    _raise_for_open_failure(result=header)
    info = _parse_header(result=header)
    if info.duration_s <= 0:
        # Raw or streamed containers carry no duration; reading packets is cheap.
        info = replace(info, duration_s=_duration_by_reading_packets(path=path))
    validate_source(info=info)
    _check_tail_decodes(path=path, info=info)
    return info


def _run_ffmpeg(
    *, args: list[str], timeout_s: float = PROBE_TIMEOUT_S
) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            [ffmpeg_exe(), *args],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise InvalidSourceError("The file took too long to read and looks damaged") from None


def _raise_for_open_failure(*, result: subprocess.CompletedProcess[str]) -> None:
    err = result.stderr
    lowered = err.lower()
    if "Input #0" in err:
        return
    # Anything that only vaguely resembles a container was never a video file.
    if "detected only with low score" in lowered:
        raise InvalidSourceError("This file is not a video we can read")
    # An mp4/mov whose index (moov) is missing was cut off before the upload finished.
    if "moov atom not found" in lowered:
        raise InvalidSourceError("The file is truncated or corrupt")
    if "invalid data found" in lowered or "could not find codec parameters" in lowered:
        raise InvalidSourceError("This file is not a video we can read")
    if "no such file" in lowered:
        raise InvalidSourceError("The file could not be found")
    raise InvalidSourceError("This file is not a video we can read")


def _parse_header(*, result: subprocess.CompletedProcess[str]) -> SourceInfo:
    err = result.stderr
    input_match = _INPUT_RE.search(err)
    demuxer = input_match.group(1) if input_match else ""
    streams = _split_streams(err=err)
    if demuxer in _TEXT_FORMATS:
        raise InvalidSourceError("This file is not a video we can read")
    video = next(
        (s for s in streams if s.kind == "Video" and "(attached pic)" not in s.text),
        None,
    )
    if video is None:
        raise InvalidSourceError("The video has no video stream")
    if any(marker in demuxer for marker in _STILL_IMAGE_FORMATS):
        raise InvalidSourceError("This file is a still image, not a video")

    codec = video.text.split(" ", 1)[0].rstrip(",")
    if codec in _TEXT_CODECS:
        raise InvalidSourceError("This file is not a video we can read")
    size = _SIZE_RE.search(video.text)
    if size is None:
        raise InvalidSourceError("This file is not a video we can read")
    coded_w, coded_h = int(size.group(1)), int(size.group(2))

    sar_num, sar_den = 1, 1
    sars = _SAR_RE.findall(video.text)
    if sars:
        # When the container and the bitstream disagree ffmpeg prints both and
        # uses the container's (the last one printed).
        num, den = int(sars[-1][0]), int(sars[-1][1])
        if num > 0 and den > 0:
            sar_num, sar_den = num, den

    rotation = _parse_rotation(extra=video.extra)
    display_w = max(1, round(coded_w * sar_num / sar_den))
    display_h = coded_h
    if rotation in (90, 270):
        display_w, display_h = display_h, display_w

    audio = next((s for s in streams if s.kind == "Audio"), None)
    channels = _parse_channels(text=audio.text) if audio else 0
    audio_codec, audio_profile, audio_rate, audio_kbps = (
        _parse_audio_format(text=audio.text) if audio else ("", "", 0, None)
    )

    duration_s, container_kbps = _parse_duration(err=err)
    stream_kbps = _KBPS_RE.search(video.text)
    kbps = int(stream_kbps.group(1)) if stream_kbps else container_kbps

    return SourceInfo(
        width=display_w,
        height=display_h,
        coded_width=coded_w,
        coded_height=coded_h,
        rotation=rotation,
        fps=_parse_fps(text=video.text),
        duration_s=duration_s,
        has_audio=audio is not None,
        audio_channels=channels,
        video_codec=codec,
        bitrate_bps=kbps * 1000 if kbps else None,
        audio_codec=audio_codec,
        audio_profile=audio_profile,
        audio_sample_rate=audio_rate,
        audio_bitrate_bps=audio_kbps * 1000 if audio_kbps else None,
    )


def _split_streams(*, err: str) -> list[_Stream]:
    streams: list[_Stream] = []
    for line in err.splitlines():
        match = _STREAM_RE.match(line)
        if match:
            streams.append(_Stream(kind=match.group(2), text=match.group(3), extra=""))
        elif streams and line.startswith("      "):
            # Indented lines after a stream are its metadata and side data.
            streams[-1].extra += line + "\n"
        elif streams and not line.startswith("  "):
            break
    return streams


def _parse_rotation(*, extra: str) -> int:
    matrix = _ROTATION_RE.search(extra)
    if matrix:
        # ffmpeg reports the display matrix counter-clockwise; store it clockwise.
        return round(-float(matrix.group(1)) / 90) * 90 % 360
    tag = _ROTATE_TAG_RE.search(extra)
    if tag:
        return round(int(tag.group(1)) / 90) * 90 % 360
    return 0


def _parse_fps(*, text: str) -> float:
    for regex in (_FPS_RE, _TBR_RE):
        match = regex.search(text)
        if match:
            value = float(match.group(1)) * (1000 if match.group(2) else 1)
            # "1k"/"90k" figures are timebases leaking through, not frame rates.
            if 1 <= value <= 240:
                return value
    return 30.0


def _parse_audio_format(*, text: str) -> tuple[str, str, int, int | None]:
    # "aac (LC) (mp4a / 0x6134706D), 48000 Hz, stereo, fltp, 128 kb/s (default)"
    head = _AUDIO_HEAD_RE.match(text)
    codec, profile = (head.group(1), head.group(2) or "") if head else ("", "")
    rate = _SAMPLE_RATE_RE.search(text)
    kbps = _KBPS_RE.search(text)
    return (
        codec,
        profile,
        int(rate.group(1)) if rate else 0,
        int(kbps.group(1)) if kbps else None,
    )


def _parse_channels(*, text: str) -> int:
    counted = _CHANNELS_RE.search(text)
    if counted:
        return int(counted.group(1))
    parts = [p.strip() for p in text.split(",")]
    # Layout is the field after the sample rate: "48000 Hz, 5.1(side), fltp".
    for index, part in enumerate(parts):
        if part.endswith(" Hz") and index + 1 < len(parts):
            layout = parts[index + 1].split("(")[0]
            if layout in _NAMED_LAYOUTS:
                return _NAMED_LAYOUTS[layout]
            numeric = _LAYOUT_RE.match(layout)
            if numeric:
                return sum(int(g) for g in numeric.groups() if g)
    return 2


def _parse_duration(*, err: str) -> tuple[float, int | None]:
    match = _DURATION_RE.search(err)
    if not match:
        return 0.0, None
    kbps = int(match.group(4)) if match.group(4) else None
    if match.group(1) is None:
        return 0.0, kbps
    hours, minutes, seconds = int(match.group(1)), int(match.group(2)), float(match.group(3))
    return hours * 3600 + minutes * 60 + seconds, kbps


def _duration_by_reading_packets(*, path: str) -> float:
    # Copying packets to the null muxer reads the whole file without decoding it.
    copy = ["-map", "0:v:0", "-c", "copy"]
    result = _run_ffmpeg(args=[*_QUIET, "-i", path, *copy, *_NULL_OUTPUT])
    times = _OUT_TIME_RE.findall(result.stdout)
    return int(times[-1]) / 1_000_000 if times else 0.0


def validate_source(*, info: SourceInfo, duration_known: bool = True) -> None:
    """Refuse a source no backend should transcode (shared with the MediaConvert probe)."""
    if min(info.coded_width, info.coded_height) < MIN_DIMENSION_PX:
        raise InvalidSourceError("The video picture is too small")
    if max(info.width, info.height) > MAX_DIMENSION_PX:
        raise InvalidSourceError("The video resolution is too large (the limit is 8K)")
    if duration_known and info.duration_s < MIN_DURATION_S:
        raise InvalidSourceError("The video is too short")


def _check_tail_decodes(*, path: str, info: SourceInfo) -> None:
    """Read the last seconds: a file cut short fails here even if its header is intact.

    The packets are read, not decoded (a tenth of the time on a 1080p source, which
    the first playable segment waits for): a cut-off file lacks the packets its index
    promises, and a damaged stream still fails the encode with its own reason. Audio
    is read too because the container's duration is that of its longest stream, and a
    video track may legitimately end before the sound.
    """
    start = max(0.0, info.duration_s - TAIL_CHECK_S)
    expected = info.duration_s - start
    streams = ["-map", "0:v:0", "-map", "0:a:0?", "-c", "copy"]
    result = _run_ffmpeg(args=[*_QUIET, "-ss", f"{start:.3f}", "-i", path, *streams, *_NULL_OUTPUT])
    lowered = result.stderr.lower()
    if any(marker in lowered for marker in _CORRUPTION_MARKERS):
        raise InvalidSourceError("The file is truncated or corrupt")
    times = _OUT_TIME_RE.findall(result.stdout)
    decoded = int(times[-1]) / 1_000_000 if times else 0.0
    # Containers whose header promises more than the data holds decode far less
    # than asked; half is lenient enough for variable frame rates.
    if result.returncode != 0 or decoded < expected * 0.5:
        raise InvalidSourceError("The file is truncated or corrupt")
