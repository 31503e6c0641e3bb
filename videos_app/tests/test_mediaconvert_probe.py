"""MediaConvert submission probes the source first and asks for the ffmpeg path's ladder.

botocore's Stubber answers Probe and CreateJob on a real boto3 client and checks both
requests, and the canned Probe answers, against the MediaConvert service model.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from django.conf import settings

from videos_app.transcoding.ladder import build_ladder
from videos_app.transcoding.mediaconvert import MediaConvertClient, build_create_job_params
from videos_app.transcoding.mediaconvert_backend import MediaConvertTranscoder
from videos_app.transcoding.mediaconvert_probe import source_info_from_probe
from videos_app.transcoding.probe import InvalidSourceError

ROLE = "arn:aws:iam::123456789012:role/MediaConvertRole"
VIDEO_ID = "0f8e3b9c-4d2a-4c1e-9a6b-2f7d5e8c1a30"
JOB_ID = "1671476818694-phptj0"


def probe_result(
    *,
    width: int,
    height: int,
    duration: float = 60.0,
    fps: tuple[int, int] = (30, 1),
    audio: bool = True,
    **video_properties: Any,
) -> dict[str, Any]:
    """One `ProbeResults` entry shaped as the service model describes it."""
    tracks: list[dict[str, Any]] = [
        {
            "TrackType": "video",
            "Index": 1,
            "Codec": "AVC",
            "Duration": duration,
            "VideoProperties": {
                "Width": width,
                "Height": height,
                "FrameRate": {"Numerator": fps[0], "Denominator": fps[1]},
                "BitRate": 8_000_000,
                **video_properties,
            },
        }
    ]
    if audio:
        tracks.append(
            {
                "TrackType": "audio",
                "Index": 2,
                "Codec": "AAC",
                "AudioProperties": {"Channels": 2, "SampleRate": 48000, "BitRate": 128000},
            }
        )
    return {"Container": {"Format": "mp4", "Duration": duration, "Tracks": tracks}}


@pytest.fixture
def stubbed() -> Iterator[tuple[MediaConvertTranscoder, Stubber]]:
    client = boto3.client(
        "mediaconvert",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with Stubber(client) as stubber:
        backend = MediaConvertTranscoder(
            client=MediaConvertClient(client=client, role_arn=ROLE, queue=None, app_tag="videoapp")
        )
        yield backend, stubber
        stubber.assert_no_pending_responses()


def video() -> SimpleNamespace:
    return SimpleNamespace(video_id=VIDEO_ID, source_key=None)


def input_uri() -> str:
    return f"s3://{settings.S3_RAW_BUCKET}/raw/{VIDEO_ID}/source"


def expect_probe(stubber: Stubber, result: dict[str, Any]) -> None:
    stubber.add_response(
        "probe",
        {"ProbeResults": [result]},
        expected_params={"InputFiles": [{"FileUrl": input_uri()}]},
    )


def expect_job(stubber: Stubber, result: dict[str, Any]) -> dict[str, Any]:
    """CreateJob must carry exactly the ladder build_ladder makes for the probed source."""
    params = build_create_job_params(
        video_id=VIDEO_ID,
        input_uri=input_uri(),
        output_prefix_uri=f"s3://{settings.S3_MEDIA_BUCKET}/hls/{VIDEO_ID}/",
        rungs=build_ladder(info=source_info_from_probe(result)),
        role_arn=ROLE,
        queue=None,
        app_tag="videoapp",
    )
    stubber.add_response(
        "create_job",
        {"Job": {"Id": JOB_ID, "Role": ROLE, "Settings": params["Settings"]}},
        expected_params=params,
    )
    return params


def renditions(params: dict[str, Any]) -> list[tuple[str, int, int]]:
    hls = params["Settings"]["OutputGroups"][0]
    return [
        (
            output["NameModifier"],
            output["VideoDescription"]["Width"],
            output["VideoDescription"]["Height"],
        )
        for output in hls["Outputs"]
    ]


class TestSubmitProbesFirst:
    def test_a_360p_source_gets_only_360p(self, stubbed) -> None:
        """640x360 is never scaled up: one 360p rendition, no paid HD output minutes."""
        backend, stubber = stubbed
        result = probe_result(width=640, height=360)
        expect_probe(stubber, result)
        params = expect_job(stubber, result)

        submission = backend.submit(video=video())

        assert renditions(params) == [("_360p", 640, 360)]
        assert submission.accepted and submission.job_id == JOB_ID
        assert submission.probed == {"width": 640, "height": 360, "duration_s": 60.0}

    def test_a_portrait_source_gets_the_portrait_ladder(self, stubbed) -> None:
        """1080x1920 is sized by its short side: 1080x1920 down to 360x640, not 608x1080."""
        backend, stubber = stubbed
        result = probe_result(width=1080, height=1920)
        expect_probe(stubber, result)
        params = expect_job(stubber, result)

        submission = backend.submit(video=video())

        assert renditions(params) == [
            ("_1080p", 1080, 1920),
            ("_720p", 720, 1280),
            ("_480p", 480, 854),
            ("_360p", 360, 640),
        ]
        assert submission.probed["width"] == 1080 and submission.probed["height"] == 1920

    def test_a_4k_source_tops_at_1080p(self, stubbed) -> None:
        """3840x2160 gets 1080p as its biggest rendition, and the poster at that size."""
        backend, stubber = stubbed
        result = probe_result(width=3840, height=2160, fps=(60000, 1001))
        expect_probe(stubber, result)
        params = expect_job(stubber, result)

        backend.submit(video=video())

        assert renditions(params)[0] == ("_1080p", 1920, 1080)
        assert [name for name, _, _ in renditions(params)] == ["_1080p", "_720p", "_480p", "_360p"]
        poster = params["Settings"]["OutputGroups"][1]["Outputs"][0]["VideoDescription"]
        assert (poster["Width"], poster["Height"]) == (1920, 1080)

    def test_a_turned_phone_video_is_laddered_as_displayed(self, stubbed) -> None:
        """Coded 1920x1080 with a 90 degree rotation plays as portrait: the portrait ladder."""
        backend, stubber = stubbed
        result = probe_result(width=1920, height=1080, Rotation=90, audio=False)
        expect_probe(stubber, result)
        params = expect_job(stubber, result)

        backend.submit(video=video())

        assert renditions(params)[0] == ("_1080p", 1080, 1920)
        assert "AudioSelectors" not in params["Settings"]["Inputs"][0]

    def test_a_file_mediaconvert_cannot_read_fails_with_a_reason(self, stubbed) -> None:
        """Probe refusing the file: no job is asked for and the submission carries a
        reason for the creator (the video fails), instead of being retried forever."""
        backend, stubber = stubbed
        stubber.add_client_error(
            "probe",
            service_error_code="UnprocessableEntityException",
            service_message="Unable to read the input file",
            http_status_code=422,
            expected_params={"InputFiles": [{"FileUrl": input_uri()}]},
        )

        submission = backend.submit(video=video())

        assert submission.accepted is False
        assert submission.failure_reason == (
            "MediaConvert could not read this file as a video (UnprocessableEntityException)."
        )

    def test_a_source_without_video_fails_with_a_reason(self, stubbed) -> None:
        """An audio-only file probes fine but is refused like the ffmpeg path refuses it."""
        backend, stubber = stubbed
        result = probe_result(width=640, height=360)
        result["Container"]["Tracks"] = result["Container"]["Tracks"][1:]
        expect_probe(stubber, result)

        submission = backend.submit(video=video())

        assert submission.failure_reason == "The video has no video stream"

    def test_throttled_probe_is_tried_again_later(self, stubbed) -> None:
        """Throttling is not the creator's file: not accepted, no reason, reconcile retries."""
        backend, stubber = stubbed
        stubber.add_client_error(
            "probe", service_error_code="TooManyRequestsException", http_status_code=429
        )

        submission = backend.submit(video=video())

        assert submission.accepted is False and submission.failure_reason is None


class TestSourceInfoFromProbe:
    def test_anamorphic_source_is_widened_by_its_sample_aspect_ratio(self) -> None:
        """720x576 with SAR 64:45 is displayed 1024x576, so its ladder is 16:9."""
        info = source_info_from_probe(
            probe_result(
                width=720, height=576, SampleAspectRatio={"Numerator": 64, "Denominator": 45}
            )
        )
        assert (info.width, info.height) == (1024, 576)
        assert [(r.width, r.height) for r in build_ladder(info=info)] == [(854, 480), (640, 360)]

    def test_limits_are_the_ffmpeg_paths(self) -> None:
        """Too short and too large are refused with the ffmpeg probe's reasons."""
        with pytest.raises(InvalidSourceError, match="too short"):
            source_info_from_probe(probe_result(width=640, height=360, duration=0.4))
        with pytest.raises(InvalidSourceError, match="too large"):
            source_info_from_probe(probe_result(width=15360, height=8640))
