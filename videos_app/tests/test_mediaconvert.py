"""MediaConvert job building and status reading, on a real boto3 client with botocore's Stubber.

The Stubber checks every request and canned response against the MediaConvert
service model, so a wrong field name or enum fails here, not in AWS.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from videos_app.transcoding.ladder import build_ladder
from videos_app.transcoding.mediaconvert import (
    JobStatus,
    MediaConvertClient,
    MediaConvertError,
    build_create_job_params,
)
from videos_app.transcoding.probe import SourceInfo

ROLE = "arn:aws:iam::123456789012:role/MediaConvertRole"
VIDEO_ID = "0f8e3b9c-4d2a-4c1e-9a6b-2f7d5e8c1a30"
INPUT_URI = f"s3://uploads/u1/{VIDEO_ID}/source"
PREFIX = f"s3://media/hls/{VIDEO_ID}"


def make_info(**overrides: Any) -> SourceInfo:
    values: dict[str, Any] = {
        "width": 1280,
        "height": 720,
        "coded_width": 1280,
        "coded_height": 720,
        "rotation": 0,
        "fps": 30.0,
        "duration_s": 60.0,
        "has_audio": True,
        "audio_channels": 2,
        "video_codec": "h264",
    }
    values.update(overrides)
    return SourceInfo(**values)


def make_params(**overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "video_id": VIDEO_ID,
        "input_uri": INPUT_URI,
        "output_prefix_uri": PREFIX,
        "rungs": build_ladder(info=make_info()),
        "role_arn": ROLE,
        "queue": None,
        "app_tag": "videoapp",
    }
    arguments.update(overrides)
    return build_create_job_params(**arguments)


def hls_outputs(params: dict[str, Any]) -> list[dict[str, Any]]:
    (group,) = [
        g
        for g in params["Settings"]["OutputGroups"]
        if g["OutputGroupSettings"]["Type"] == "HLS_GROUP_SETTINGS"
    ]
    return group["Outputs"]


def job_response(*, status: str, **extra: Any) -> dict[str, Any]:
    """A GetJob/CreateJob `Job` shaped like AWS returns it, built from our own request."""
    params = make_params()
    job = {
        "Id": "1671476818694-phptj0",
        "Arn": "arn:aws:mediaconvert:us-east-1:123456789012:jobs/1671476818694-phptj0",
        "Role": params["Role"],
        "Settings": params["Settings"],
        "UserMetadata": params["UserMetadata"],
        "Status": status,
    }
    job.update(extra)
    return {"Job": job}


@pytest.fixture
def boto_client() -> Any:
    return boto3.client(
        "mediaconvert",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def stubber(boto_client: Any) -> Iterator[Stubber]:
    with Stubber(boto_client) as stub:
        yield stub
        stub.assert_no_pending_responses()


@pytest.fixture
def mediaconvert(boto_client: Any) -> MediaConvertClient:
    return MediaConvertClient(
        client=boto_client, role_arn=ROLE, queue="Default", app_tag="videoapp"
    )


class TestBuildCreateJobParams:
    def test_same_ladder_as_the_ffmpeg_path(self) -> None:
        """A probed 720p source gets exactly the ffmpeg ladder: sizes, caps, audio rates, names."""
        rungs = build_ladder(info=make_info())
        outputs = hls_outputs(make_params(rungs=rungs))
        assert [o["NameModifier"] for o in outputs] == ["_720p", "_480p", "_360p"]
        for output, rung in zip(outputs, rungs, strict=True):
            video = output["VideoDescription"]
            h264 = video["CodecSettings"]["H264Settings"]
            assert (video["Width"], video["Height"]) == (rung.width, rung.height)
            assert (
                h264["RateControlMode"] == "QVBR" and h264["MaxBitrate"] == rung.video_max_bitrate
            )
            assert h264["GopSizeUnits"] == "AUTO" and "GopSize" not in h264
            assert (h264["ParNumerator"], h264["ParDenominator"]) == (1, 1)
            aac = output["AudioDescriptions"][0]["CodecSettings"]["AacSettings"]
            assert aac == {
                "Bitrate": rung.audio_bitrate,
                "CodingMode": "CODING_MODE_2_0",
                "SampleRate": 48000,
            }

    def test_job_envelope(self) -> None:
        """Role, token, correlation metadata, 6 s segments, auto-rotation and the poster group."""
        params = make_params(queue="arn:aws:mediaconvert:us-east-1:123456789012:queues/Default")
        assert params["Role"] == ROLE
        assert params["Queue"].endswith("queues/Default")
        assert params["ClientRequestToken"] == VIDEO_ID
        assert params["UserMetadata"] == {"video_id": VIDEO_ID, "app": "videoapp"}
        (job_input,) = params["Settings"]["Inputs"]
        assert job_input["FileInput"] == INPUT_URI and job_input["VideoSelector"] == {
            "Rotate": "AUTO"
        }
        hls, poster = params["Settings"]["OutputGroups"]
        settings = hls["OutputGroupSettings"]["HlsGroupSettings"]
        assert settings["SegmentLength"] == 6 and settings["Destination"] == f"{PREFIX}/master"
        assert poster["OutputGroupSettings"] == {
            "Type": "FILE_GROUP_SETTINGS",
            "FileGroupSettings": {"Destination": f"{PREFIX}/thumb"},
        }
        (capture,) = poster["Outputs"]
        assert capture["NameModifier"] == "_poster"
        assert capture["VideoDescription"]["CodecSettings"]["Codec"] == "FRAME_CAPTURE"
        assert "Queue" not in make_params(queue=None)

    def test_silent_source_asks_for_no_audio(self) -> None:
        """A probed silent source gets no audio selector and no audio outputs (no mp4a)."""
        params = make_params(rungs=build_ladder(info=make_info(has_audio=False, audio_channels=0)))
        assert "AudioSelectors" not in params["Settings"]["Inputs"][0]
        assert all("AudioDescriptions" not in o for o in hls_outputs(params))

    def test_exact_request_for_a_small_silent_source(self) -> None:
        """The whole request for a 320x240 silent clip, written by hand from the AWS reference."""
        rungs = build_ladder(
            info=make_info(width=320, height=240, has_audio=False, audio_channels=0)
        )
        (rung,) = rungs
        expected_h264 = {
            "RateControlMode": "QVBR",
            "QvbrSettings": {"QvbrQualityLevel": 7},
            "MaxBitrate": 345600,
            "GopSizeUnits": "AUTO",
            "SceneChangeDetect": "TRANSITION_DETECTION",
            "CodecProfile": "HIGH",
            "CodecLevel": "AUTO",
            "ParControl": "SPECIFIED",
            "ParNumerator": 1,
            "ParDenominator": 1,
        }
        assert rung.video_max_bitrate == 345600
        assert make_params(rungs=rungs, app_tag="tests") == {
            "Role": ROLE,
            "ClientRequestToken": VIDEO_ID,
            "UserMetadata": {"video_id": VIDEO_ID, "app": "tests"},
            "StatusUpdateInterval": "SECONDS_60",
            "Settings": {
                "Inputs": [
                    {
                        "FileInput": INPUT_URI,
                        "TimecodeSource": "ZEROBASED",
                        "VideoSelector": {"Rotate": "AUTO"},
                    }
                ],
                "OutputGroups": [
                    {
                        "Name": "HLS",
                        "OutputGroupSettings": {
                            "Type": "HLS_GROUP_SETTINGS",
                            "HlsGroupSettings": {
                                "Destination": f"{PREFIX}/master",
                                "SegmentLength": 6,
                                "MinSegmentLength": 0,
                                "SegmentControl": "SEGMENTED_FILES",
                                "ManifestDurationFormat": "FLOATING_POINT",
                            },
                        },
                        "Outputs": [
                            {
                                "NameModifier": "_240p",
                                "ContainerSettings": {"Container": "M3U8", "M3u8Settings": {}},
                                "VideoDescription": {
                                    "Height": 240,
                                    "Width": 320,
                                    "ScalingBehavior": "STRETCH_TO_OUTPUT",
                                    "CodecSettings": {
                                        "Codec": "H_264",
                                        "H264Settings": expected_h264,
                                    },
                                },
                            }
                        ],
                    },
                    {
                        "Name": "Poster",
                        "OutputGroupSettings": {
                            "Type": "FILE_GROUP_SETTINGS",
                            "FileGroupSettings": {"Destination": f"{PREFIX}/thumb"},
                        },
                        "Outputs": [
                            {
                                "NameModifier": "_poster",
                                "ContainerSettings": {"Container": "RAW"},
                                "VideoDescription": {
                                    "Height": 240,
                                    "Width": 320,
                                    "ScalingBehavior": "STRETCH_TO_OUTPUT",
                                    "CodecSettings": {
                                        "Codec": "FRAME_CAPTURE",
                                        "FrameCaptureSettings": {
                                            "FramerateNumerator": 1,
                                            "FramerateDenominator": 5,
                                            "MaxCaptures": 2,
                                            "Quality": 80,
                                        },
                                    },
                                },
                            }
                        ],
                    },
                ],
            },
        }


class TestMediaConvertClient:
    def test_create_job_sends_a_valid_request_and_returns_the_id(
        self, stubber: Stubber, mediaconvert: MediaConvertClient
    ) -> None:
        """create_job sends the request unchanged (model-validated) and returns Job.Id."""
        rungs = build_ladder(info=make_info())
        expected = make_params(rungs=rungs, queue="Default")
        stubber.add_response(
            "create_job", job_response(status="SUBMITTED"), expected_params=expected
        )
        job_id = mediaconvert.create_job(
            video_id=VIDEO_ID, input_uri=INPUT_URI, output_prefix_uri=PREFIX, rungs=rungs
        )
        assert job_id == "1671476818694-phptj0"

    def test_refused_job_becomes_a_readable_error(
        self, stubber: Stubber, mediaconvert: MediaConvertClient
    ) -> None:
        """An AWS error on CreateJob surfaces as MediaConvertError naming the code and message."""
        stubber.add_client_error(
            "create_job",
            service_error_code="ForbiddenException",
            service_message="User is not authorized to perform iam:PassRole",
            http_status_code=403,
        )
        with pytest.raises(MediaConvertError) as caught:
            mediaconvert.create_job(
                video_id=VIDEO_ID,
                input_uri=INPUT_URI,
                output_prefix_uri=PREFIX,
                rungs=build_ladder(info=make_info()),
            )
        assert caught.value.reason == (
            "MediaConvert refused the job: ForbiddenException: "
            "User is not authorized to perform iam:PassRole"
        )

    def test_complete_job_points_at_the_master_playlist(
        self, stubber: Stubber, mediaconvert: MediaConvertClient
    ) -> None:
        """COMPLETE: 100% and playlist_uri = HLS Destination + .m3u8 (GetJob lists no paths)."""
        stubber.add_response(
            "get_job",
            job_response(status="COMPLETE", JobPercentComplete=100),
            expected_params={"Id": "1671476818694-phptj0"},
        )
        status = mediaconvert.get_job("1671476818694-phptj0")
        assert status == JobStatus(
            job_id="1671476818694-phptj0",
            status="COMPLETE",
            percent=100,
            error_message=None,
            playlist_uri=f"{PREFIX}/master.m3u8",
            poster_uris=(
                f"{PREFIX}/thumb_poster.0000001.jpg",
                f"{PREFIX}/thumb_poster.0000000.jpg",
            ),
            user_metadata={"video_id": VIDEO_ID, "app": "videoapp"},
        )
        assert status.finished

    def test_failed_job_carries_the_error(
        self, stubber: Stubber, mediaconvert: MediaConvertClient
    ) -> None:
        """An ERROR job gives MediaConvert's message and code, and no playlist to publish."""
        stubber.add_response(
            "get_job",
            job_response(status="ERROR", ErrorCode=1040, ErrorMessage="Unable to open input file"),
            expected_params={"Id": "job-err"},
        )
        status = mediaconvert.get_job("job-err")
        assert (status.status, status.error_code, status.error_message) == (
            "ERROR",
            1040,
            "Unable to open input file",
        )
        assert status.playlist_uri is None and status.poster_uris == ()
        assert status.finished

    def test_progressing_job_reports_percent(
        self, stubber: Stubber, mediaconvert: MediaConvertClient
    ) -> None:
        """A PROGRESSING job reports percent and phase, is not finished, has no playlist yet."""
        stubber.add_response(
            "get_job",
            job_response(status="PROGRESSING", JobPercentComplete=42, CurrentPhase="TRANSCODING"),
            expected_params={"Id": "job-run"},
        )
        status = mediaconvert.get_job("job-run")
        assert (status.status, status.percent, status.phase) == ("PROGRESSING", 42, "TRANSCODING")
        assert status.playlist_uri is None and status.error_message is None
        assert not status.finished

    def test_unknown_job_becomes_a_readable_error(
        self, stubber: Stubber, mediaconvert: MediaConvertClient
    ) -> None:
        """GetJob for a job AWS does not know raises MediaConvertError, not a botocore exception."""
        stubber.add_client_error(
            "get_job", service_error_code="NotFoundException", service_message="Job not found"
        )
        with pytest.raises(MediaConvertError) as caught:
            mediaconvert.get_job("nope")
        assert "NotFoundException" in caught.value.reason and "nope" in caught.value.reason
