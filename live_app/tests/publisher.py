"""An RTMP publisher for tests and benchmarks: ffmpeg sending a test pattern with a tone,
encoded the way a live encoder (OBS) sends it: keyframes every second, no lookahead."""

import subprocess

import imageio_ffmpeg


def publisher_command(url: str, *, seconds: float, size: str = "640x360") -> list[str]:
    return [
        imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-re",
        "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=30",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
        "-t", str(seconds),
        "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-g", "30",
        "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "flv", url,
    ]  # fmt: skip


def start_publisher(url: str, *, seconds: float, size: str = "640x360") -> subprocess.Popen:
    return subprocess.Popen(
        publisher_command(url, seconds=seconds, size=size),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
