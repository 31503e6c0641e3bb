"""Probe, ladder and ffmpeg HLS encoder, run against tiny synthetic sources."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from videos_app.tests.media_samples import make_sample
from videos_app.transcoding import ffmpeg_encoder
from videos_app.transcoding.ffmpeg_encoder import EncodeError, EncodeResult, encode_hls
from videos_app.transcoding.ladder import build_ladder
from videos_app.transcoding.probe import InvalidSourceError, SourceInfo, ffmpeg_exe, probe_source


def make_info(**overrides: object) -> SourceInfo:
    values: dict[str, object] = {
        "width": 1920,
        "height": 1080,
        "coded_width": 1920,
        "coded_height": 1080,
        "rotation": 0,
        "fps": 30.0,
        "duration_s": 60.0,
        "has_audio": True,
        "audio_channels": 2,
        "video_codec": "h264",
    }
    values.update(overrides)
    if "width" in overrides and "coded_width" not in overrides:
        values["coded_width"] = overrides["width"]
    if "height" in overrides and "coded_height" not in overrides:
        values["coded_height"] = overrides["height"]
    return SourceInfo(**values)  # type: ignore[arg-type]


def read_text(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def read_bytes(path: str) -> bytes:
    return Path(path).read_bytes()


def ffmpeg_stderr(*args: str) -> str:
    return subprocess.run(
        [ffmpeg_exe(), "-hide_banner", *args], capture_output=True, text=True
    ).stderr


def stream_lines(path: str) -> list[str]:
    return [
        line.strip()
        for line in ffmpeg_stderr("-i", path).splitlines()
        if line.strip().startswith("Stream #")
    ]


def keyframe_times(playlist: str) -> list[float]:
    """Presentation times of the keyframes across a whole rendition, decoding keyframes only."""
    err = ffmpeg_stderr(
        "-skip_frame",
        "nokey",
        "-i",
        playlist,
        "-map",
        "0:v:0",
        "-vf",
        "showinfo",
        "-f",
        "null",
        "-",
    )
    return [round(float(value), 2) for value in re.findall(r"pts_time:([\d.]+)", err)]


def gray_thumbnail(*args: str) -> bytes:
    """First frame as grayscale bytes; args are the input and filter options."""
    result = subprocess.run(
        [
            ffmpeg_exe(),
            "-hide_banner",
            "-v",
            "error",
            *args,
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "gray",
            "-",
        ],
        capture_output=True,
        check=True,
    )
    return result.stdout


def difference(a: bytes, b: bytes) -> float:
    assert len(a) == len(b) and a
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a)


def parse_master(path: str) -> list[tuple[dict[str, str], str]]:
    lines = read_text(path).splitlines()
    variants = []
    for index, line in enumerate(lines):
        if line.startswith("#EXT-X-STREAM-INF:"):
            attributes = dict(re.findall(r'([A-Z-]+)=("[^"]*"|[^,]*)', line.split(":", 1)[1]))
            variants.append(({k: v.strip('"') for k, v in attributes.items()}, lines[index + 1]))
    return variants


def extinf_durations(playlist: str) -> list[float]:
    return [float(v) for v in re.findall(r"#EXTINF:([\d.]+)", read_text(playlist))]


@dataclass
class EncodeRun:
    """An encode plus everything observed while it ran."""

    source: str
    out_dir: str
    info: SourceInfo
    result: EncodeResult
    progress: list[float] = field(default_factory=list)
    first_playable_files: list[str] = field(default_factory=list)
    master_at_first_playable: str = ""
    files_present_at_first_playable: list[str] = field(default_factory=list)
    playlists_finished_at_first_playable: list[str] = field(default_factory=list)
    ffmpeg_commands: list[list[str]] = field(default_factory=list)


def encode_commands(run: EncodeRun) -> list[list[str]]:
    """The ffmpeg runs that encoded renditions (the poster grab is a separate, tiny one)."""
    return [command for command in run.ffmpeg_commands if "-filter_complex" in command]


def run_encode(
    directory: str, *, frame_buffer_bytes: int = ffmpeg_encoder.FRAME_BUFFER_BYTES, **sample: object
) -> EncodeRun:
    source = make_sample(os.path.join(directory, "source.mp4"), **sample)  # type: ignore[arg-type]
    out_dir = os.path.join(directory, "out")
    info = probe_source(source)
    run = EncodeRun(source=source, out_dir=out_dir, info=info, result=None)  # type: ignore[arg-type]

    def on_first_playable(files: list[str]) -> None:
        run.first_playable_files = list(files)
        run.master_at_first_playable = read_text(os.path.join(out_dir, "master.m3u8"))
        run.files_present_at_first_playable = sorted(
            os.path.relpath(os.path.join(root, name), out_dir)
            for root, _, names in os.walk(out_dir)
            for name in names
        )
        run.playlists_finished_at_first_playable = [
            name
            for name in run.files_present_at_first_playable
            if name.endswith("/index.m3u8")
            and "#EXT-X-ENDLIST" in read_text(os.path.join(out_dir, name))
        ]

    real_popen = subprocess.Popen

    def recording_popen(args: list[str], *rest: object, **kwargs: object) -> subprocess.Popen[str]:
        run.ffmpeg_commands.append(list(args))
        return real_popen(args, *rest, **kwargs)  # type: ignore[call-overload]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ffmpeg_encoder.subprocess, "Popen", recording_popen)
        run.result = encode_hls(
            source_path=source,
            out_dir=out_dir,
            info=info,
            on_progress=run.progress.append,
            on_first_playable=on_first_playable,
            frame_buffer_bytes=frame_buffer_bytes,
        )
    return run


@pytest.fixture(scope="module")
def two_rungs(tmp_path_factory: pytest.TempPathFactory) -> EncodeRun:
    # 10 s so each rendition has two full 4 s segments and a short last one.
    return run_encode(str(tmp_path_factory.mktemp("two_rungs")), width=854, height=480, seconds=10)


@pytest.fixture(scope="module")
def one_rung(tmp_path_factory: pytest.TempPathFactory) -> EncodeRun:
    return run_encode(str(tmp_path_factory.mktemp("one_rung")), width=640, height=360, seconds=3)


@pytest.fixture(scope="module")
def samples_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield str(tmp_path_factory.mktemp("samples"))


class TestProbe:
    def test_normal_file(self, samples_dir: str) -> None:
        """A plain 640x360 25 fps stereo mp4 is described exactly."""
        path = make_sample(
            os.path.join(samples_dir, "normal.mp4"), width=640, height=360, seconds=2
        )
        info = probe_source(path)
        assert (info.width, info.height) == (640, 360)
        assert (info.coded_width, info.coded_height) == (640, 360)
        assert info.rotation == 0
        assert info.fps == pytest.approx(25.0)
        assert info.duration_s == pytest.approx(2.0, abs=0.1)
        assert info.has_audio and info.audio_channels == 2
        assert info.video_codec == "h264"
        assert (info.audio_codec, info.audio_profile, info.audio_sample_rate) == (
            "aac",
            "LC",
            48000,
        )
        assert info.audio_bitrate_bps is not None and 80_000 <= info.audio_bitrate_bps <= 112_000

    def test_text_file_is_not_a_video(self, tmp_path: pytest.TempPathFactory) -> None:
        """A text file (ffmpeg would show it as ANSI art) is unreadable, even if named .mp4."""
        for name in ("notes.txt", "notes.mp4"):
            path = os.path.join(str(tmp_path), name)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write("just some words, not a video\n" * 40)
            with pytest.raises(InvalidSourceError) as caught:
                probe_source(path)
            assert caught.value.reason == "This file is not a video we can read"

    def test_empty_file(self, tmp_path: pytest.TempPathFactory) -> None:
        """A zero-byte upload says the file is empty rather than unreadable."""
        path = os.path.join(str(tmp_path), "empty.mp4")
        open(path, "wb").close()
        with pytest.raises(InvalidSourceError) as caught:
            probe_source(path)
        assert caught.value.reason == "The file is empty"

    @pytest.mark.parametrize(
        "faststart,kept",
        [(False, 0.5), (True, 0.5), (True, 0.9), (True, 0.97)],
        ids=["index-at-end-half", "index-at-start-half", "last-10%-lost", "last-3%-lost"],
    )
    def test_truncated_mp4(
        self, tmp_path: pytest.TempPathFactory, faststart: bool, kept: float
    ) -> None:
        """An mp4 that was cut is truncated, whether it lost its index or only media data,
        even only its last seconds (the tail check reads packets; it does not decode)."""
        full = make_sample(
            os.path.join(str(tmp_path), "full.mp4"),
            width=320,
            height=240,
            seconds=3,
            faststart=faststart,
        )
        cut = os.path.join(str(tmp_path), "cut.mp4")
        data = read_bytes(full)
        with open(cut, "wb") as handle:
            handle.write(data[: int(len(data) * kept)])
        probe_source(full)  # the intact file is fine, so the cut is what fails
        with pytest.raises(InvalidSourceError) as caught:
            probe_source(cut)
        assert caught.value.reason == "The file is truncated or corrupt"

    def test_audio_only_file(self, tmp_path: pytest.TempPathFactory) -> None:
        """An m4a with sound but no picture is refused for having no video stream."""
        path = os.path.join(str(tmp_path), "song.m4a")
        subprocess.run(
            [
                ffmpeg_exe(),
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "sine=duration=3",
                "-c:a",
                "aac",
                path,
            ],
            check=True,
        )
        with pytest.raises(InvalidSourceError) as caught:
            probe_source(path)
        assert caught.value.reason == "The video has no video stream"

    def test_too_short(self, samples_dir: str) -> None:
        """Half a second of video is refused as too short."""
        path = make_sample(
            os.path.join(samples_dir, "blink.mp4"), width=320, height=240, seconds=0.5
        )
        with pytest.raises(InvalidSourceError) as caught:
            probe_source(path)
        assert caught.value.reason == "The video is too short"

    def test_still_image(self, tmp_path: pytest.TempPathFactory) -> None:
        """A PNG opens in ffmpeg but is refused as a still image."""
        path = os.path.join(str(tmp_path), "photo.png")
        subprocess.run(
            [
                ffmpeg_exe(),
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "testsrc2=size=64x64",
                "-frames:v",
                "1",
                "-update",
                "1",
                path,
            ],
            check=True,
        )
        with pytest.raises(InvalidSourceError) as caught:
            probe_source(path)
        assert caught.value.reason == "This file is a still image, not a video"

    def test_non_square_pixels_give_display_width(self, samples_dir: str) -> None:
        """320x240 stored with 2:1 pixels displays as 640x240."""
        path = make_sample(
            os.path.join(samples_dir, "sar.mp4"), width=320, height=240, seconds=2, sar=(2, 1)
        )
        info = probe_source(path)
        assert (info.coded_width, info.coded_height) == (320, 240)
        assert (info.width, info.height) == (640, 240)

    def test_rotation_swaps_display_size(self, samples_dir: str) -> None:
        """A 640x360 recording tagged rotate=90 displays as 360x640 portrait."""
        path = make_sample(
            os.path.join(samples_dir, "rot.mp4"), width=640, height=360, seconds=2, rotate=90
        )
        info = probe_source(path)
        assert info.rotation == 90
        assert (info.coded_width, info.coded_height) == (640, 360)
        assert (info.width, info.height) == (360, 640)

    def test_surround_and_silent_sources(self, samples_dir: str) -> None:
        """5.1 audio is counted as 6 channels and a silent file reports no audio."""
        six = make_sample(
            os.path.join(samples_dir, "six.mp4"), width=320, height=240, seconds=2, audio_channels=6
        )
        silent = make_sample(
            os.path.join(samples_dir, "mute.mp4"),
            width=320,
            height=240,
            seconds=2,
            audio_channels=0,
        )
        assert probe_source(six).audio_channels == 6
        assert (probe_source(silent).has_audio, probe_source(silent).audio_channels) == (False, 0)


class TestLadder:
    def test_1080p_source_gets_four_rungs_with_peertube_caps(self) -> None:
        """1080p30 gets 1080/720/480/360 at 16:9 with the bits-per-pixel caps of the baseline."""
        rungs = build_ladder(info=make_info())
        assert [(r.name, r.width, r.height) for r in rungs] == [
            ("1080p", 1920, 1080),
            ("720p", 1280, 720),
            ("480p", 854, 480),
            ("360p", 640, 360),
        ]
        caps = [round(r.video_max_bitrate / 1e6, 2) for r in rungs]
        assert caps == [6.22, 3.04, 1.48, 1.04]
        assert rungs[0].codecs == "avc1.640028,mp4a.40.2"  # High@4.0
        assert rungs[-1].codecs == "avc1.64001e,mp4a.40.2"  # High@3.0

    def test_720p_source_is_never_scaled_up(self) -> None:
        """A 720p source gets 720/480/360 and no 1080p rung."""
        rungs = build_ladder(info=make_info(width=1280, height=720))
        assert [r.name for r in rungs] == ["720p", "480p", "360p"]
        assert max(r.height for r in rungs) == 720

    def test_240p_source_gets_one_rung_at_its_own_size(self) -> None:
        """A 320x240 source, below the smallest rung, gets exactly one 320x240 rendition."""
        rungs = build_ladder(info=make_info(width=320, height=240))
        assert [(r.name, r.width, r.height) for r in rungs] == [("240p", 320, 240)]

    def test_odd_853x479_source(self) -> None:
        """An odd 853x479 source keeps its aspect with even sizes and never exceeds its own size."""
        rungs = build_ladder(info=make_info(width=853, height=479))
        assert [(r.name, r.width, r.height) for r in rungs] == [
            ("480p", 852, 478),
            ("360p", 642, 360),
        ]
        for rung in rungs:
            assert rung.width % 2 == 0 and rung.height % 2 == 0
            assert rung.width <= 853 and rung.height <= 479
            assert abs(rung.width / rung.height - 853 / 479) < 0.01

    def test_odd_source_below_smallest_rung_rounds_down_to_even(self) -> None:
        """A 427x241 source becomes one 426x240 rendition, never a pixel larger."""
        rungs = build_ladder(info=make_info(width=427, height=241))
        assert [(r.name, r.width, r.height) for r in rungs] == [("240p", 426, 240)]

    def test_portrait_source_is_laddered_on_its_short_side(self) -> None:
        """A 1080x1920 phone video gets portrait rungs named after the short side."""
        rungs = build_ladder(info=make_info(width=1080, height=1920))
        assert [(r.name, r.width, r.height) for r in rungs][:2] == [
            ("1080p", 1080, 1920),
            ("720p", 720, 1280),
        ]

    def test_cap_never_exceeds_source_bitrate_plus_30_percent(self) -> None:
        """A 1 Mb/s 1080p source caps every rung at 1.3 Mb/s (the smaller theoretical caps stay)."""
        rungs = build_ladder(info=make_info(bitrate_bps=1_000_000))
        assert [r.video_max_bitrate for r in rungs] == [1_300_000, 1_300_000, 1_300_000, 1_036_800]

    def test_silent_source_has_no_audio_codec(self) -> None:
        """Without audio the rungs carry no audio bitrate and CODECS lists only avc1."""
        rungs = build_ladder(info=make_info(has_audio=False, audio_channels=0))
        assert all(r.audio_bitrate == 0 and "mp4a" not in r.codecs for r in rungs)


class TestEncode:
    def test_master_lists_every_rung(self, two_rungs: EncodeRun) -> None:
        """854x480 gives 480p+360p, each listed with BANDWIDTH, RESOLUTION, CODECS, FRAME-RATE."""
        variants = parse_master(two_rungs.result.master_path)
        assert [uri for _, uri in variants] == ["360p/index.m3u8", "480p/index.m3u8"]
        for attributes, uri in variants:
            assert int(attributes["BANDWIDTH"]) >= int(attributes["AVERAGE-BANDWIDTH"]) > 50_000
            assert attributes["CODECS"].startswith("avc1.64") and attributes["CODECS"].endswith(
                ",mp4a.40.2"
            )
            assert float(attributes["FRAME-RATE"]) == pytest.approx(25.0)
            assert os.path.exists(os.path.join(two_rungs.out_dir, uri))
        assert [a["RESOLUTION"] for a, _ in variants] == ["640x360", "854x480"]
        assert [r.name for r in two_rungs.result.rungs] == ["480p", "360p"]
        assert two_rungs.result.duration_s == pytest.approx(10.0, abs=0.2)

    def test_rendition_playlists_are_vod_with_4_to_6_second_segments(
        self, two_rungs: EncodeRun
    ) -> None:
        """Each rendition playlist is a finished VOD list of 4-6 s segments (but the last)."""
        for rung in ("360p", "480p"):
            playlist = os.path.join(two_rungs.out_dir, rung, "index.m3u8")
            text = read_text(playlist)
            assert "#EXT-X-PLAYLIST-TYPE:VOD" in text and text.rstrip().endswith("#EXT-X-ENDLIST")
            durations = extinf_durations(playlist)
            assert len(durations) >= 3
            assert all(4.0 <= d <= 6.0 for d in durations[:-1]), durations
            assert 0 < durations[-1] <= 6.0
            assert os.path.exists(os.path.join(two_rungs.out_dir, rung, "seg_00000.ts"))

    def test_keyframes_align_across_rungs(self, two_rungs: EncodeRun) -> None:
        """Both rungs have keyframes at the same times, and exactly at every segment start."""
        times = {
            rung: keyframe_times(os.path.join(two_rungs.out_dir, rung, "index.m3u8"))
            for rung in ("360p", "480p")
        }
        assert times["360p"] == times["480p"]
        starts, elapsed = [], 0.0
        for duration in extinf_durations(os.path.join(two_rungs.out_dir, "480p", "index.m3u8")):
            starts.append(round(elapsed, 2))
            elapsed += duration
        assert starts == times["480p"]

    def test_codecs_attribute_matches_the_encoded_stream(self, two_rungs: EncodeRun) -> None:
        """The avc1 profile/level in CODECS is what the SPS of each rendition really says."""
        for attributes, uri in parse_master(two_rungs.result.master_path):
            segment = os.path.join(two_rungs.out_dir, os.path.dirname(uri), "seg_00000.ts")
            trace = ffmpeg_stderr(
                "-i",
                segment,
                "-map",
                "0:v:0",
                "-c",
                "copy",
                "-bsf:v",
                "trace_headers",
                "-f",
                "null",
                "-",
            )
            profile = int(re.search(r"profile_idc\s+\S+ = (\d+)", trace).group(1))  # type: ignore[union-attr]
            level = int(re.search(r"level_idc\s+\S+ = (\d+)", trace).group(1))  # type: ignore[union-attr]
            assert attributes["CODECS"].split(",")[0] == f"avc1.{profile:02x}00{level:02x}"

    def test_lowest_rung_is_playable_first(self, two_rungs: EncodeRun) -> None:
        """on_first_playable fires with 360p alone, long before 480p is done; master of 360p."""
        first = two_rungs.first_playable_files
        assert (
            first[-1] == "master.m3u8"
        )  # master last, so an in-order upload never points at missing files
        assert "360p/index.m3u8" in first and "poster.jpg" in first
        assert all(name.startswith("360p/") for name in first if name.endswith(".ts"))
        # 480p is being encoded beside it from the same decode, but is nowhere near finished.
        assert "480p/index.m3u8" not in two_rungs.playlists_finished_at_first_playable
        assert set(first) <= set(two_rungs.files_present_at_first_playable)
        assert two_rungs.master_at_first_playable.count("#EXT-X-STREAM-INF") == 1
        assert "360p/index.m3u8" in two_rungs.master_at_first_playable
        assert two_rungs.master_at_first_playable != read_text(two_rungs.result.master_path)

    def test_two_processes_share_one_decode(self, two_rungs: EncodeRun) -> None:
        """Only the 360p process reads the source; it relays its frames to the 480p one."""
        commands = encode_commands(two_rungs)
        assert len(commands) == 2
        first, second = commands
        assert "360p/index.m3u8.live" in first and not any("480p" in arg for arg in first)
        assert "480p/index.m3u8" in second and not any("360p" in arg for arg in second)
        assert sum(two_rungs.source in arg for command in commands for arg in command) == 1
        assert first[-3:-1] == ["-f", "nut"] and first[-1].startswith("pipe:")
        assert first[first.index("[frames]") + 1 : first.index("[frames]") + 3] == [
            "-c:v",
            "rawvideo",
        ]
        read = second.index("-i")
        assert second[read - 2 : read + 2] == ["-f", "nut", "-i", "pipe:0"]
        assert second.count("-i") == 1
        # The second process yields the CPU to the first (nice 5), never the other way.
        assert second[:3] == [shutil.which("nice"), "-n", "5"] and "nice" not in first[0]

    def test_three_rungs_share_one_decode_split_into_encoders(
        self, tmp_path: pytest.TempPathFactory
    ) -> None:
        """1280x720: 360p first, then 720p and 480p from one ffmpeg splitting a single decode."""
        run = run_encode(str(tmp_path), width=1280, height=720, seconds=2)
        commands = encode_commands(run)
        assert len(commands) == 2
        second = commands[1]
        assert second.count("-i") == 1
        graph = second[second.index("-filter_complex") + 1]
        assert "split=2" in graph and graph.count("scale=") == 2
        assert [a for a in second if a.endswith("index.m3u8")] == [
            "720p/index.m3u8",
            "480p/index.m3u8",
        ]
        assert second.count("libx264") == 2
        assert [a["RESOLUTION"] for a, _ in parse_master(run.result.master_path)] == [
            "640x360",
            "854x480",
            "1280x720",
        ]

    def test_progress_rises_to_one(self, two_rungs: EncodeRun) -> None:
        """on_progress reports a non-decreasing series within 0..1 that ends at exactly 1.0."""
        progress = two_rungs.progress
        assert len(progress) >= 3
        assert progress == sorted(progress)
        assert progress[0] >= 0.0 and progress[-1] == 1.0

    def test_poster_is_a_jpeg_from_about_ten_percent_in(self, two_rungs: EncodeRun) -> None:
        """poster.jpg is a JPEG at the top rung's size showing ~1 s of 10 s, not frame 0."""
        poster = two_rungs.result.poster_path
        assert read_bytes(poster)[:3] == b"\xff\xd8\xff"
        assert "854x480" in " ".join(stream_lines(poster))
        shot = gray_thumbnail("-i", poster, "-vf", "scale=12:12")
        at_tenth = gray_thumbnail("-ss", "1.0", "-i", two_rungs.source, "-vf", "scale=12:12")
        at_start = gray_thumbnail("-i", two_rungs.source, "-vf", "scale=12:12")
        assert difference(shot, at_tenth) < difference(shot, at_start)

    def test_single_rung_source_runs_one_process(self, one_rung: EncodeRun) -> None:
        """640x360 gives only 360p: one encode process; the final master equals the first."""
        assert [r.name for r in one_rung.result.rungs] == ["360p"]
        assert len(encode_commands(one_rung)) == 1
        variants = parse_master(one_rung.result.master_path)
        assert [(a["RESOLUTION"], uri) for a, uri in variants] == [("640x360", "360p/index.m3u8")]
        assert one_rung.master_at_first_playable == read_text(one_rung.result.master_path)

    def test_silent_source_gives_video_only_renditions(
        self, tmp_path: pytest.TempPathFactory
    ) -> None:
        """Without audio in, CODECS has no mp4a and the segments hold no audio stream."""
        run = run_encode(str(tmp_path), width=320, height=240, seconds=3, audio_channels=0)
        ((attributes, uri),) = parse_master(run.result.master_path)
        assert "mp4a" not in attributes["CODECS"]
        streams = stream_lines(os.path.join(run.out_dir, os.path.dirname(uri), "seg_00000.ts"))
        assert len(streams) == 1 and "Video:" in streams[0]

    def test_surround_source_comes_out_stereo(self, tmp_path: pytest.TempPathFactory) -> None:
        """A 5.1 source is downmixed to 2-channel AAC at 48 kHz."""
        run = run_encode(str(tmp_path), width=320, height=240, seconds=3, audio_channels=6)
        audio = [
            s
            for s in stream_lines(os.path.join(run.out_dir, "240p", "seg_00000.ts"))
            if "Audio:" in s
        ]
        assert (
            len(audio) == 1
            and "stereo" in audio[0]
            and "48000 Hz" in audio[0]
            and "aac" in audio[0]
        )

    def test_stereo_aac_source_audio_is_carried_over_not_encoded_again(
        self, two_rungs: EncodeRun
    ) -> None:
        """96 kb/s AAC-LC stereo at 48 kHz fits every rung, so both rungs copy it as it is."""
        assert two_rungs.info.audio_bitrate_bps is not None
        for command in encode_commands(two_rungs):
            audio_codecs = [command[i + 1] for i, arg in enumerate(command) if arg == "-c:a"]
            # The first process copies it into the 360p rung and into the relayed frames.
            assert audio_codecs and set(audio_codecs) == {"copy"}
        source_audio = [s for s in stream_lines(two_rungs.source) if "Audio:" in s][0]
        for rung in ("360p", "480p"):
            segment = os.path.join(two_rungs.out_dir, rung, "seg_00000.ts")
            audio = [s for s in stream_lines(segment) if "Audio:" in s]
            assert len(audio) == 1 and "aac (LC)" in audio[0] and "48000 Hz, stereo" in audio[0]
        assert "aac (LC)" in source_audio

    @pytest.mark.parametrize(
        ("overrides", "copied"),
        [
            ({}, True),
            ({"audio_bitrate_bps": 320_000}, False),  # more than the rung carries
            ({"audio_channels": 6}, False),  # 5.1 is downmixed
            ({"audio_sample_rate": 44_100}, False),  # every rung is 48 kHz
            ({"audio_profile": "HE-AAC"}, False),  # CODECS says AAC-LC
            ({"audio_codec": "opus"}, False),
            ({"audio_bitrate_bps": None}, False),  # unknown bitrate: encode to be sure
        ],
    )
    def test_audio_is_copied_only_when_it_is_what_the_rung_would_make(
        self, overrides: dict[str, object], copied: bool
    ) -> None:
        """Copying needs AAC-LC, stereo, 48 kHz and a bitrate within the rung's."""
        audio: dict[str, object] = {
            "audio_codec": "aac",
            "audio_profile": "LC",
            "audio_sample_rate": 48_000,
            "audio_bitrate_bps": 128_000,
        }
        info = make_info(**{**audio, **overrides})
        top = build_ladder(info=info)[0]
        assert ffmpeg_encoder.audio_is_copied(info=info, rung=top) is copied

    def test_non_square_pixels_come_out_at_display_size(
        self, tmp_path: pytest.TempPathFactory
    ) -> None:
        """320x240 with 2:1 pixels is encoded as 640x240 square pixels, as it is meant to look."""
        run = run_encode(str(tmp_path), width=320, height=240, seconds=3, sar=(2, 1))
        ((attributes, _),) = parse_master(run.result.master_path)
        assert attributes["RESOLUTION"] == "640x240"
        video = stream_lines(os.path.join(run.out_dir, "240p", "seg_00000.ts"))[0]
        assert "640x240" in video and "SAR 1:1" in video

    def test_rotated_source_is_turned_upright(self, tmp_path: pytest.TempPathFactory) -> None:
        """A 640x360 clip tagged rotate=90 comes out 360x640, turned clockwise, rotation cleared."""
        run = run_encode(str(tmp_path), width=640, height=360, seconds=3, rotate=90)
        ((attributes, _),) = parse_master(run.result.master_path)
        assert attributes["RESOLUTION"] == "360x640"
        segment = os.path.join(run.out_dir, "360p", "seg_00000.ts")
        assert "360x640" in stream_lines(segment)[0]
        assert "rotation" not in ffmpeg_stderr("-i", segment)
        shot = gray_thumbnail("-i", segment, "-vf", "scale=12:12")
        clockwise = gray_thumbnail(
            "-noautorotate", "-i", run.source, "-vf", "transpose=clock,scale=12:12"
        )
        counter = gray_thumbnail(
            "-noautorotate", "-i", run.source, "-vf", "transpose=cclock,scale=12:12"
        )
        assert difference(shot, clockwise) < difference(shot, counter)

    def test_ffmpeg_failure_gives_one_readable_line(self, tmp_path: pytest.TempPathFactory) -> None:
        """When ffmpeg cannot read the input, EncodeError carries one short line, not the log."""
        bogus = os.path.join(str(tmp_path), "bogus.mp4")
        with open(bogus, "wb") as handle:
            handle.write(b"\x00" * 4096)
        with pytest.raises(EncodeError) as caught:
            encode_hls(
                source_path=bogus,
                out_dir=os.path.join(str(tmp_path), "out"),
                info=make_info(duration_s=3),
            )
        reason = caught.value.reason
        assert reason.startswith("ffmpeg failed while encoding")
        assert "\n" not in reason and len(reason) < 300

    @pytest.mark.parametrize(
        ("broken", "stage"),
        [
            ("_upper_rungs_args", "the 480p renditions"),
            ("_lowest_rung_args", "the 360p rendition"),
        ],
    )
    def test_a_failing_process_stops_the_other_and_the_reason_is_its_own(
        self,
        tmp_path: pytest.TempPathFactory,
        monkeypatch: pytest.MonkeyPatch,
        broken: str,
        stage: str,
    ) -> None:
        """Either encoder failing ends the encode at once, blaming the one that failed."""
        source = make_sample(
            os.path.join(str(tmp_path), "source.mp4"), width=854, height=480, seconds=30
        )
        real_args = getattr(ffmpeg_encoder, broken)

        def broken_args(**kwargs: object) -> list[str]:
            args = real_args(**kwargs)
            args[args.index("-preset") + 1] = "no-such-preset"
            return args

        monkeypatch.setattr(ffmpeg_encoder, broken, broken_args)
        real_popen = subprocess.Popen
        encoders: list[subprocess.Popen[str]] = []

        def recording_popen(args: list[str], *rest: object, **kwargs: object) -> object:
            process = real_popen(args, *rest, **kwargs)  # type: ignore[call-overload]
            if "-filter_complex" in args:
                encoders.append(process)
            return process

        monkeypatch.setattr(ffmpeg_encoder.subprocess, "Popen", recording_popen)
        with pytest.raises(EncodeError) as caught:
            encode_hls(
                source_path=source,
                out_dir=os.path.join(str(tmp_path), "out"),
                info=probe_source(source),
            )
        # Not the other process's complaint (an empty input, or being killed).
        assert caught.value.reason.startswith(f"ffmpeg failed while encoding {stage}")
        if broken == "_upper_rungs_args":
            lowest, upper = encoders
            assert upper.returncode > 0
            # The 360p process had most of 30 s of video left: it was killed, not waited for.
            assert lowest.returncode is not None and lowest.returncode < 0
        else:
            # The upper rungs start only once the lowest rung is playable, which it never was.
            assert len(encoders) == 1 and encoders[0].returncode > 0

    def test_a_small_relay_buffer_only_slows_the_lowest_rung(
        self, tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """With room for 3 frames the relay fills before 360p is playable; nothing deadlocks."""
        frame_bytes = 854 * 480 * 3 // 2
        monkeypatch.setattr(ffmpeg_encoder, "STALL_TIMEOUT_S", 20.0)  # a deadlock fails fast
        relays: list[ffmpeg_encoder._FrameRelay] = []
        real_relay = ffmpeg_encoder._FrameRelay

        def recording_relay(**kwargs: object) -> ffmpeg_encoder._FrameRelay:
            relays.append(real_relay(**kwargs))  # type: ignore[arg-type]
            return relays[-1]

        monkeypatch.setattr(ffmpeg_encoder, "_FrameRelay", recording_relay)
        run = run_encode(
            str(tmp_path), width=854, height=480, seconds=6, frame_buffer_bytes=3 * frame_bytes
        )
        assert [uri for _, uri in parse_master(run.result.master_path)] == [
            "360p/index.m3u8",
            "480p/index.m3u8",
        ]
        assert len(relays) == 1 and relays[0].full.is_set(), "the small buffer never filled"
        for rung in ("360p", "480p"):
            playlist = os.path.join(run.out_dir, rung, "index.m3u8")
            assert sum(extinf_durations(playlist)) == pytest.approx(6.0, abs=0.1)


class TestFrameRelay:
    """The relay between the two encode processes: every byte, in order, within its buffer."""

    def test_bytes_arrive_in_order_and_the_writer_waits_when_the_buffer_is_full(self) -> None:
        """With a slow reader the buffer stops at its limit and the writer blocks; nothing lost."""
        limit = 4 * 1024 * 1024
        relay = ffmpeg_encoder._FrameRelay(limit_bytes=limit, stop=threading.Event())
        relay.start()
        payload = os.urandom(8 * limit)

        def write_everything() -> None:
            view = memoryview(payload)
            while view:
                view = view[os.write(relay.input_fd, view) :]
            relay.release_input()

        writer = threading.Thread(target=write_everything, daemon=True)
        writer.start()
        time.sleep(1.0)  # nobody reads yet
        assert writer.is_alive()  # held back: the relay took in no more than its limit
        assert limit <= relay._buffered <= limit + ffmpeg_encoder._RELAY_CHUNK_BYTES
        received = bytearray()
        while chunk := os.read(relay.output_fd, 1 << 20):
            received += chunk
        writer.join(timeout=5)
        relay.close()
        assert bytes(received) == payload

    def test_stop_releases_a_full_relay(self) -> None:
        """After stop, a relay whose reader is gone lets its threads end instead of hanging."""
        stop = threading.Event()
        relay = ffmpeg_encoder._FrameRelay(limit_bytes=1024 * 1024, stop=stop)
        relay.start()
        os.write(relay.input_fd, b"x" * 65_536)
        stop.set()
        relay.close()
        assert all(not thread.is_alive() for thread in relay._threads)

    def test_callback_exception_stops_the_encode(self, tmp_path: pytest.TempPathFactory) -> None:
        """An exception from on_progress propagates (ffmpeg is killed); nothing is published."""
        source = make_sample(
            os.path.join(str(tmp_path), "source.mp4"), width=320, height=240, seconds=3
        )
        published: list[list[str]] = []

        def cancel(_: float) -> None:
            raise KeyboardInterrupt  # what a worker's shutdown looks like

        with pytest.raises(KeyboardInterrupt):
            encode_hls(
                source_path=source,
                out_dir=os.path.join(str(tmp_path), "out"),
                info=probe_source(source),
                on_progress=cancel,
                on_first_playable=published.append,
            )
        assert published == []


class TestGrowingFirstRung:
    """The lowest rung is published while ffmpeg is still writing it."""

    def _live(self, rung_dir: Path, segments: int, *, ended: bool) -> None:
        lines = ["#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-TARGETDURATION:4"]
        lines += ["#EXT-X-MEDIA-SEQUENCE:0", "#EXT-X-PLAYLIST-TYPE:EVENT"]
        for index in range(segments):
            name = f"seg_{index:05d}.ts"
            (rung_dir / name).write_bytes(b"\x47" * 188 * 100)
            lines += ["#EXTINF:4.000000,", name]
        if ended:
            lines.append("#EXT-X-ENDLIST")
        (rung_dir / "index.m3u8.live").write_text("\n".join(lines) + "\n", encoding="utf-8")

    def test_segments_are_published_as_they_land_then_the_playlist_turns_vod(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Each call hands over only new segments; the published playlist starts at 0; VOD last."""
        monkeypatch.setattr(ffmpeg_encoder, "PUBLISH_EVERY_S", 0.0)
        rung = build_ladder(info=make_info(width=640, height=360))[0]
        rung_dir = tmp_path / "360p"
        rung_dir.mkdir()
        calls: list[list[str]] = []
        publisher = ffmpeg_encoder._LowestRungPublisher(
            out_dir=str(tmp_path), rung=rung, callback=calls.append, started=0.0
        )
        publisher.publish_new_segments()  # ffmpeg has written nothing yet
        assert calls == []

        self._live(rung_dir, 1, ended=False)
        publisher.publish_new_segments()
        publisher.publish_new_segments()  # no new segment: no call
        assert calls == [["360p/seg_00000.ts", "360p/index.m3u8", "poster.jpg", "master.m3u8"]]
        published = read_text(str(rung_dir / "index.m3u8"))
        assert "#EXT-X-PLAYLIST-TYPE:EVENT" in published and "#EXT-X-ENDLIST" not in published
        assert "#EXT-X-START:TIME-OFFSET=0" in published
        assert [uri for _, uri in parse_master(str(tmp_path / "master.m3u8"))] == [
            "360p/index.m3u8"
        ]

        self._live(rung_dir, 3, ended=False)
        publisher.publish_new_segments()
        assert calls[-1][:2] == ["360p/seg_00001.ts", "360p/seg_00002.ts"]

        self._live(rung_dir, 4, ended=True)
        rendition = publisher.finish()
        assert calls[-1] == ["360p/seg_00003.ts", "360p/index.m3u8", "poster.jpg", "master.m3u8"]
        final = read_text(str(rung_dir / "index.m3u8"))
        assert "#EXT-X-PLAYLIST-TYPE:VOD" in final and final.rstrip().endswith("#EXT-X-ENDLIST")
        assert rendition.duration_s == pytest.approx(16.0)
        assert not (rung_dir / "index.m3u8.live").exists()

    def test_publishing_waits_between_calls(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A new segment right after a publish waits for the next turn (the caller uploads each)."""
        monkeypatch.setattr(ffmpeg_encoder, "PUBLISH_EVERY_S", 3600.0)
        rung = build_ladder(info=make_info(width=640, height=360))[0]
        rung_dir = tmp_path / "360p"
        rung_dir.mkdir()
        calls: list[list[str]] = []
        publisher = ffmpeg_encoder._LowestRungPublisher(
            out_dir=str(tmp_path), rung=rung, callback=calls.append, started=0.0
        )
        self._live(rung_dir, 1, ended=False)
        publisher.publish_new_segments()
        self._live(rung_dir, 2, ended=False)
        publisher.publish_new_segments()
        assert len(calls) == 1
        self._live(rung_dir, 2, ended=True)
        publisher.finish()  # the end is always published at once
        assert calls[-1][0] == "360p/seg_00001.ts"
