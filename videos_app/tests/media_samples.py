"""Tiny synthetic source videos for transcoding tests, made with ffmpeg's lavfi sources.

Kept small on purpose: tests run on a 2-core machine and should encode in seconds.
"""

from __future__ import annotations

import os
import subprocess

import imageio_ffmpeg

_LAYOUTS = {1: "mono", 2: "stereo", 6: "5.1"}


def make_sample(
    path: str,
    *,
    width: int,
    height: int,
    seconds: float,
    audio_channels: int = 2,
    sar: tuple[int, int] | None = None,
    rotate: int | None = None,
    fps: float = 25,
    faststart: bool = False,
    lossless: bool = False,
) -> str:
    """Write an H.264/AAC mp4 test pattern with a sine tone and return its path.

    `sar` sets non-square pixels (e.g. (2, 1)); `rotate` adds display-rotation
    metadata meaning "turn clockwise by this much to show", the way phones tag
    portrait recordings; `audio_channels=0` makes a silent, video-only file;
    `lossless` makes a large file (about 1.7 MB a second at 720p).
    Odd sizes are encoded as 4:4:4 because 4:2:0 H.264 cannot hold them.
    """
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    odd = width % 2 or height % 2
    # testsrc2 rounds odd sizes down, so draw even and scale to the exact size.
    sar_value = f"{sar[0]}/{sar[1]}" if sar else "1"
    video_filter = (
        f"testsrc2=size={width + width % 2}x{height + height % 2}:rate={fps}:duration={seconds},"
        f"scale={width}:{height},setsar={sar_value}"
    )
    args = [
        ffmpeg,
        "-hide_banner",
        "-nostdin",
        "-v",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        video_filter,
    ]
    if audio_channels:
        layout = _LAYOUTS.get(audio_channels, f"{audio_channels}c")
        args += [
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:sample_rate=48000:duration={seconds},aformat=channel_layouts={layout}",
        ]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv444p" if odd else "yuv420p"]
    if lossless:
        args += ["-qp", "0"]
    if audio_channels:
        args += ["-c:a", "aac", "-b:a", "96k" if audio_channels <= 2 else "256k"]
    if faststart:
        args += ["-movflags", "+faststart"]

    target = path + ".norot.mp4" if rotate else path
    subprocess.run([*args, target], check=True, capture_output=True)
    if rotate:
        # ffmpeg's -display_rotation counts counter-clockwise, the phone tag clockwise.
        remux = [
            ffmpeg,
            "-hide_banner",
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-display_rotation",
            str(-rotate),
            "-i",
            target,
            "-c",
            "copy",
        ]
        if faststart:
            remux += ["-movflags", "+faststart"]
        subprocess.run([*remux, path], check=True, capture_output=True)
        os.remove(target)
    return path
