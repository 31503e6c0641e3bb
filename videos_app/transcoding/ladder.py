"""The rendition ladder: which sizes and bitrates a source is encoded to.

Shared by the ffmpeg and MediaConvert backends so both publish the same set.
Rungs are named after their short side ("720p" is 1280x720 landscape or
720x1280 portrait) and a source is never scaled up.
"""

from __future__ import annotations

from dataclasses import dataclass

from videos_app.transcoding.probe import SourceInfo

LADDER_HEIGHTS = (1080, 720, 480, 360)
# A 1918x1078 or 853x479 export is a 1080p/480p video that lost a pixel; give it
# that rung at its own size instead of dropping to the next one down.
NEAR_RUNG_TOLERANCE = 0.02
# Bits per pixel per frame for the bitrate cap, PeerTube's figures; smaller
# pictures need more bits per pixel for the same perceived quality.
BITS_PER_PIXEL = {1080: 0.10, 720: 0.11, 480: 0.12, 360: 0.15}
SMALL_RUNG_BITS_PER_PIXEL = 0.15
# Never allow more than this over the source's own bitrate: extra bits cannot
# add detail the source never had (PeerTube uses the same +30%).
SOURCE_BITRATE_HEADROOM = 1.3
# A VBV cap below this starves keyframes and makes blocky segment starts.
MIN_VIDEO_BITRATE = 100_000
MAX_OUTPUT_FPS = 60.0
# Rate-control buffer relative to the cap, as PeerTube does (bufsize = 2 x maxrate).
VBV_BUFFER_FACTOR = 2

AUDIO_CODEC = "mp4a.40.2"  # AAC-LC, what ffmpeg's aac encoder writes
H264_PROFILE = "high"
_H264_PROFILE_IDC = 100
# High profile allows 25% more bitrate/buffer than the Main-profile table below.
_HIGH_PROFILE_FACTOR = 1.25
# (level, max macroblocks per frame, max macroblocks per second,
#  max bitrate kb/s, max CPB kbit), Main profile, from the H.264 spec's table A-1.
_H264_LEVELS: tuple[tuple[str, int, int, int, int], ...] = (
    ("1.1", 396, 3000, 192, 500),
    ("1.2", 396, 6000, 384, 1000),
    ("1.3", 396, 11880, 768, 2000),
    ("2.0", 396, 11880, 2000, 2000),
    ("2.1", 792, 19800, 4000, 4000),
    ("2.2", 1620, 20250, 4000, 4000),
    ("3.0", 1620, 40500, 10000, 10000),
    ("3.1", 3600, 108000, 14000, 14000),
    ("3.2", 5120, 216000, 20000, 20000),
    ("4.0", 8192, 245760, 20000, 25000),
    ("4.1", 8192, 245760, 50000, 62500),
    ("4.2", 8704, 522240, 50000, 62500),
    ("5.0", 22080, 589824, 135000, 135000),
    ("5.1", 36864, 983040, 240000, 240000),
    ("5.2", 36864, 2073600, 240000, 240000),
)


@dataclass(frozen=True)
class Rung:
    """One rendition: its display size, frame rate and bitrate caps (bits per second)."""

    name: str
    height: int
    width: int
    fps: float
    video_max_bitrate: int
    audio_bitrate: int
    h264_level: str

    @property
    def has_audio(self) -> bool:
        return self.audio_bitrate > 0

    @property
    def video_codec(self) -> str:
        """RFC 6381 name of the H.264 stream, e.g. avc1.64001f for High@3.1."""
        level_idc = int(self.h264_level.replace(".", ""))
        return f"avc1.{_H264_PROFILE_IDC:02x}00{level_idc:02x}"

    @property
    def codecs(self) -> str:
        """CODECS attribute for the master playlist; no mp4a when the source is silent."""
        return f"{self.video_codec},{AUDIO_CODEC}" if self.has_audio else self.video_codec

    @property
    def vbv_buffer(self) -> int:
        return self.video_max_bitrate * VBV_BUFFER_FACTOR


def build_ladder(*, info: SourceInfo) -> list[Rung]:
    """Rungs for this source, biggest first; the last one is the quickest to encode."""
    short_side = min(info.width, info.height)
    usable_short = _even_down(short_side)
    fps = output_fps(source_fps=info.fps)
    rungs: list[Rung] = []
    for nominal in LADDER_HEIGHTS:
        if nominal > short_side * (1 + NEAR_RUNG_TOLERANCE):
            continue
        rungs.append(
            _make_rung(
                info=info,
                nominal=nominal,
                short=min(nominal, usable_short),
                fps=fps,
            )
        )
    if not rungs:
        # Smaller than the smallest rung: one rendition at the source's own size.
        rungs.append(_make_rung(info=info, nominal=usable_short, short=usable_short, fps=fps))
    return rungs


def output_fps(*, source_fps: float) -> float:
    """Frame rate the renditions are encoded at: the source's, capped at 60."""
    if source_fps <= 0:
        return 30.0
    return min(source_fps, MAX_OUTPUT_FPS)


def h264_level_for(
    *, width: int, height: int, fps: float, max_bitrate: int, vbv_buffer: int
) -> str:
    """Lowest H.264 level (High profile) that allows this size, rate and VBV."""
    mbs_wide = -(-width // 16)
    mbs_high = -(-height // 16)
    frame_mbs = mbs_wide * mbs_high
    for level, max_fs, max_mbps, max_br, max_cpb in _H264_LEVELS:
        # The spec also limits each side to sqrt(8 * MaxFS) macroblocks.
        side_limit = (8 * max_fs) ** 0.5
        if (
            frame_mbs <= max_fs
            and max(mbs_wide, mbs_high) <= side_limit
            and frame_mbs * fps <= max_mbps
            and max_bitrate <= max_br * 1000 * _HIGH_PROFILE_FACTOR
            and vbv_buffer <= max_cpb * 1000 * _HIGH_PROFILE_FACTOR
        ):
            return level
    return _H264_LEVELS[-1][0]


def _make_rung(*, info: SourceInfo, nominal: int, short: int, fps: float) -> Rung:
    landscape = info.width >= info.height
    source_long = max(info.width, info.height)
    # Nearest even keeps the aspect best; the clamp stops a 1 px upscale of odd sources.
    long_side = min(
        _even_round(short * source_long / min(info.width, info.height)), _even_down(source_long)
    )
    width, height = (long_side, short) if landscape else (short, long_side)

    bpp = BITS_PER_PIXEL.get(nominal, SMALL_RUNG_BITS_PER_PIXEL)
    cap = int(width * height * fps * bpp)
    if info.bitrate_bps:
        cap = min(cap, int(info.bitrate_bps * SOURCE_BITRATE_HEADROOM))
    cap = max(cap, MIN_VIDEO_BITRATE)

    if not info.has_audio:
        audio = 0
    elif nominal >= 480:
        audio = 128_000
    elif nominal >= 360:
        audio = 96_000
    else:
        audio = 64_000

    return Rung(
        name=f"{nominal}p",
        height=height,
        width=width,
        fps=fps,
        video_max_bitrate=cap,
        audio_bitrate=audio,
        h264_level=h264_level_for(
            width=width,
            height=height,
            fps=fps,
            max_bitrate=cap,
            vbv_buffer=cap * VBV_BUFFER_FACTOR,
        ),
    )


def _even_down(value: int) -> int:
    return max(2, value - value % 2)


def _even_round(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)
