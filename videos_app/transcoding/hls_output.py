"""The HLS files an encode leaves in its output folder: their names, playlists and master.

File work only, no ffmpeg: reading what ffmpeg wrote, measuring a rendition from
its segments, and writing playlists so that an uploader never reads half a file.
The layout itself is described in `videos_app.transcoding.ffmpeg_encoder`.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass

from videos_app.transcoding.encode_errors import EncodeError
from videos_app.transcoding.ladder import Rung

SEGMENT_SECONDS = 4
MASTER_NAME = "master.m3u8"
POSTER_NAME = "poster.jpg"
PLAYLIST_NAME = "index.m3u8"
SEGMENT_PATTERN = "seg_%05d.ts"
LIVE_PLAYLIST_SUFFIX = ".live"
_EXTINF_RE = re.compile(r"^#EXTINF:([\d.]+)", re.MULTILINE)


@dataclass(frozen=True)
class Rendition:
    """A finished rung on disk with the bitrates measured from its segments."""

    rung: Rung
    playlist: str
    segments: list[str]
    duration_s: float
    bandwidth: int
    average_bandwidth: int


def measure_rendition(*, out_dir: str, rung: Rung, finished: bool = True) -> Rendition:
    """The rung as its playlist lists it; `finished=False` for a playlist still growing."""
    playlist = f"{rung.name}/{PLAYLIST_NAME}"
    text = read_output(os.path.join(out_dir, playlist))
    if finished and "#EXT-X-ENDLIST" not in text:
        raise EncodeError(f"ffmpeg left the {rung.name} playlist unfinished")
    durations = [float(value) for value in _EXTINF_RE.findall(text)]
    names = playlist_segments(text)
    if not names or len(names) != len(durations):
        raise EncodeError(f"ffmpeg wrote no segments for the {rung.name} rendition")
    sizes = [os.path.getsize(os.path.join(out_dir, rung.name, name)) for name in names]
    # BANDWIDTH must cover the busiest segment (HLS spec), so measure it rather than trust the cap.
    rates = [
        size * 8 / max(duration, 0.001) for size, duration in zip(sizes, durations, strict=True)
    ]
    peak = max(rates)
    total_duration = sum(durations)
    average = sum(sizes) * 8 / max(total_duration, 0.001)
    return Rendition(
        rung=rung,
        playlist=playlist,
        segments=[f"{rung.name}/{name}" for name in names],
        duration_s=total_duration,
        bandwidth=int(peak) + 1,
        average_bandwidth=int(average) + 1,
    )


def write_master(*, out_dir: str, renditions: Sequence[Rendition]) -> None:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    # Lowest first: players that start on the first variant begin quickly and climb.
    for rendition in sorted(renditions, key=lambda r: r.bandwidth):
        rung = rendition.rung
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={rendition.bandwidth},"
            f"AVERAGE-BANDWIDTH={rendition.average_bandwidth},"
            f"RESOLUTION={rung.width}x{rung.height},"
            f"FRAME-RATE={rung.fps:.3f},"
            f'CODECS="{rung.codecs}"'
        )
        lines.append(rendition.playlist)
    write_atomically(path=os.path.join(out_dir, MASTER_NAME), text="\n".join(lines) + "\n")


def write_atomically(*, path: str, text: str) -> None:
    # An uploader may be reading the previous version right now.
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)


def read_output(path: str) -> str:
    """The text of a file ffmpeg should have written; EncodeError if it did not."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        name = os.path.join(os.path.basename(os.path.dirname(path)), os.path.basename(path))
        raise EncodeError(f"ffmpeg did not write {name}") from None


def live_playlist_path(*, out_dir: str, rung: Rung) -> str:
    return os.path.join(out_dir, rung.name, PLAYLIST_NAME + LIVE_PLAYLIST_SUFFIX)


def playlist_segments(text: str) -> list[str]:
    stripped = (line.strip() for line in text.splitlines())
    return [line for line in stripped if line and not line.startswith("#")]


def with_start_at_beginning(text: str) -> str:
    # A playlist without ENDLIST looks live to players, which then start near
    # its newest segment; EXT-X-START:TIME-OFFSET=0 makes them start at 0.
    lines = text.splitlines()
    if not any(line.startswith("#EXT-X-START") for line in lines):
        lines.insert(1, "#EXT-X-START:TIME-OFFSET=0,PRECISE=YES")
    return "\n".join(lines) + "\n"


def clear_previous_output(*, out_dir: str, rungs: Sequence[Rung]) -> None:
    # A retried job must not publish stale segments left by a killed attempt.
    for rung in rungs:
        shutil.rmtree(os.path.join(out_dir, rung.name), ignore_errors=True)
    for name in (MASTER_NAME, POSTER_NAME):
        path = os.path.join(out_dir, name)
        if os.path.exists(path):
            os.remove(path)
