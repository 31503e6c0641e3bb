"""AWS Elemental MediaConvert: the same HLS ladder as the ffmpeg path, as a CreateJob request.

Output layout under `output_prefix_uri` (MediaConvert names files after the
Destination plus each output's NameModifier)::

    master.m3u8                          multivariant playlist
    master_<rung>.m3u8, master_<rung>_00001.ts ...
    thumb_poster.0000000.jpg, thumb_poster.0000001.jpg   frames at 0 s and 5 s
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from videos_app.transcoding.ladder import Rung
from videos_app.transcoding.mediaconvert_probe import FILE_REFUSAL_CODES, source_info_from_probe
from videos_app.transcoding.probe import InvalidSourceError, SourceInfo

HLS_SEGMENT_SECONDS = 6
HLS_BASENAME = "master"
POSTER_BASENAME = "thumb"
POSTER_NAME_MODIFIER = "_poster"
AUDIO_SELECTOR = "Audio Selector 1"
# QVBR quality per rung, from the AWS VOD presets (8 at 1080p, 7 below).
QVBR_QUALITY_1080P = 8
QVBR_QUALITY = 7
# MediaConvert's smallest output side; below it the source size is kept instead.
MIN_OUTPUT_SIDE_PX = 32
# One capture every 5 s, at most two: frame 0 is often black, so the poster is
# the second one when the video is long enough to have it.
POSTER_EVERY_S = 5
POSTER_MAX_CAPTURES = 2
POSTER_JPEG_QUALITY = 80
STATUS_UPDATE_INTERVAL = "SECONDS_60"
FINISHED_STATUSES = frozenset({"COMPLETE", "ERROR", "CANCELED"})


class MediaConvertError(Exception):
    """MediaConvert refused a request for now; `reason` is one readable line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class JobStatus:
    """A job as GetJob reports it, with the output locations derived from its settings.

    `playlist_uri` is set only for COMPLETE jobs: GetJob lists no output paths,
    so it is the HLS Destination + ".m3u8"; check it with HeadObject before
    publishing. `poster_uris` are the frame captures in order of preference.
    """

    job_id: str
    status: str
    percent: int | None
    error_message: str | None
    error_code: int | None = None
    phase: str | None = None
    playlist_uri: str | None = None
    poster_uris: tuple[str, ...] = ()
    user_metadata: Mapping[str, str] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES


def build_create_job_params(
    *,
    video_id: str,
    input_uri: str,
    output_prefix_uri: str,
    rungs: Sequence[Rung],
    role_arn: str,
    queue: str | None,
    app_tag: str,
) -> dict[str, Any]:
    """CreateJob keyword arguments for this video's ladder.

    `rungs` come from `build_ladder` on the probed source, so the outputs have exact
    square-pixel sizes, are never bigger than the source, and a silent source gets no
    audio.
    """
    ladder = list(rungs)
    if not ladder:
        raise ValueError("A job needs at least one rung.")
    with_audio = any(rung.has_audio for rung in ladder)
    prefix = output_prefix_uri.rstrip("/") + "/"

    job_input: dict[str, Any] = {
        "FileInput": input_uri,
        # Accelerated transcoding requires ZEROBASED, and it keeps segment times from 0.
        "TimecodeSource": "ZEROBASED",
        # Phone videos carry rotation metadata that MediaConvert ignores unless asked.
        "VideoSelector": {"Rotate": "AUTO"},
    }
    if with_audio:
        job_input["AudioSelectors"] = {AUDIO_SELECTOR: {"DefaultSelection": "DEFAULT"}}

    hls_outputs = [_hls_output(rung=rung, with_audio=with_audio) for rung in ladder]
    params: dict[str, Any] = {
        "Role": role_arn,
        # MediaConvert dedupes on this token only for about a minute; the video record
        # keeps the job id for anything later.
        "ClientRequestToken": video_id,
        "UserMetadata": {"video_id": video_id, "app": app_tag},
        "StatusUpdateInterval": STATUS_UPDATE_INTERVAL,
        "Settings": {
            "Inputs": [job_input],
            "OutputGroups": [
                {
                    "Name": "HLS",
                    "OutputGroupSettings": {
                        "Type": "HLS_GROUP_SETTINGS",
                        "HlsGroupSettings": {
                            "Destination": prefix + HLS_BASENAME,
                            "SegmentLength": HLS_SEGMENT_SECONDS,
                            "MinSegmentLength": 0,
                            "SegmentControl": "SEGMENTED_FILES",
                            "ManifestDurationFormat": "FLOATING_POINT",
                        },
                    },
                    "Outputs": hls_outputs,
                },
                {
                    "Name": "Poster",
                    "OutputGroupSettings": {
                        "Type": "FILE_GROUP_SETTINGS",
                        "FileGroupSettings": {"Destination": prefix + POSTER_BASENAME},
                    },
                    "Outputs": [_poster_output(rung=ladder[0])],
                },
            ],
        },
    }
    if queue:
        params["Queue"] = queue
    return params


def _hls_output(*, rung: Rung, with_audio: bool) -> dict[str, Any]:
    quality = QVBR_QUALITY_1080P if min(rung.width, rung.height) >= 1080 else QVBR_QUALITY
    h264: dict[str, Any] = {
        "RateControlMode": "QVBR",
        "QvbrSettings": {"QvbrQualityLevel": quality},
        "MaxBitrate": rung.video_max_bitrate,
        # AUTO lets MediaConvert align GOPs with the HLS segments.
        "GopSizeUnits": "AUTO",
        "SceneChangeDetect": "TRANSITION_DETECTION",
        "CodecProfile": "HIGH",
        "CodecLevel": "AUTO",
    }
    video: dict[str, Any] = {"CodecSettings": {"Codec": "H_264", "H264Settings": h264}}
    _set_size(video=video, rung=rung)
    if min(rung.width, rung.height) >= MIN_OUTPUT_SIDE_PX:
        # The rung size already is the display size: square pixels (the ffmpeg
        # path's setsar=1), or anamorphic sources would be widened twice.
        h264.update({"ParControl": "SPECIFIED", "ParNumerator": 1, "ParDenominator": 1})
    output: dict[str, Any] = {
        "NameModifier": f"_{rung.name}",
        "ContainerSettings": {"Container": "M3U8", "M3u8Settings": {}},
        "VideoDescription": video,
    }
    if with_audio:
        output["AudioDescriptions"] = [
            {
                "AudioSourceName": AUDIO_SELECTOR,
                "CodecSettings": {
                    "Codec": "AAC",
                    "AacSettings": {
                        "Bitrate": rung.audio_bitrate,
                        # Stereo for every rung: 5.1 sources are downmixed, as in the ffmpeg path.
                        "CodingMode": "CODING_MODE_2_0",
                        "SampleRate": 48000,
                    },
                },
            }
        ]
    return output


def _poster_output(*, rung: Rung) -> dict[str, Any]:
    video: dict[str, Any] = {
        "CodecSettings": {
            "Codec": "FRAME_CAPTURE",
            "FrameCaptureSettings": {
                "FramerateNumerator": 1,
                "FramerateDenominator": POSTER_EVERY_S,
                "MaxCaptures": POSTER_MAX_CAPTURES,
                "Quality": POSTER_JPEG_QUALITY,
            },
        },
    }
    _set_size(video=video, rung=rung)
    return {
        "NameModifier": POSTER_NAME_MODIFIER,
        "ContainerSettings": {"Container": "RAW"},
        "VideoDescription": video,
    }


def _set_size(*, video: dict[str, Any], rung: Rung) -> None:
    if min(rung.width, rung.height) < MIN_OUTPUT_SIDE_PX:
        return  # no size at all: MediaConvert keeps the (tiny) input resolution
    # Width and height together are the display size, so stretch to exactly that.
    video["Height"] = rung.height
    video["Width"] = rung.width
    video["ScalingBehavior"] = "STRETCH_TO_OUTPUT"


class MediaConvertClient:
    """Submits and reads transcode jobs through a boto3 "mediaconvert" client passed in."""

    def __init__(self, *, client: Any, role_arn: str, queue: str | None, app_tag: str) -> None:
        self._client = client
        self._role_arn = role_arn
        self._queue = queue
        self._app_tag = app_tag

    def probe(self, *, input_uri: str) -> SourceInfo:
        """What the source is, read by MediaConvert itself (no download here).

        Raises InvalidSourceError when the file is not a usable video (the video fails
        with that reason) and MediaConvertError when MediaConvert could not answer now.
        """
        try:
            response = self._client.probe(InputFiles=[{"FileUrl": input_uri}])
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in FILE_REFUSAL_CODES:
                raise InvalidSourceError(
                    f"MediaConvert could not read this file as a video ({code})."
                ) from error
            raise MediaConvertError(
                f"MediaConvert could not probe the file: {_describe(error)}"
            ) from error
        except BotoCoreError as error:
            raise MediaConvertError(
                f"MediaConvert could not probe the file: {_describe(error)}"
            ) from error
        results = response.get("ProbeResults") or []
        if not results:
            raise InvalidSourceError("This file is not a video we can read")
        return source_info_from_probe(results[0])

    def create_job(
        self,
        *,
        video_id: str,
        input_uri: str,
        output_prefix_uri: str,
        rungs: Sequence[Rung],
    ) -> str:
        """Submit the ladder for one video and return MediaConvert's job id."""
        params = build_create_job_params(
            video_id=video_id,
            input_uri=input_uri,
            output_prefix_uri=output_prefix_uri,
            rungs=rungs,
            role_arn=self._role_arn,
            queue=self._queue,
            app_tag=self._app_tag,
        )
        try:
            response = self._client.create_job(**params)
        except (ClientError, BotoCoreError) as error:
            raise MediaConvertError(f"MediaConvert refused the job: {_describe(error)}") from error
        return str(response["Job"]["Id"])

    def get_job(self, job_id: str) -> JobStatus:
        """Current state of a job, for polling and for reconciling missed events."""
        try:
            response = self._client.get_job(Id=job_id)
        except (ClientError, BotoCoreError) as error:
            raise MediaConvertError(
                f"Could not read MediaConvert job {job_id}: {_describe(error)}"
            ) from error
        return job_status_from_job(response["Job"])


def job_status_from_job(job: Mapping[str, Any]) -> JobStatus:
    """Turn a GetJob `Job` into a JobStatus (also usable on a stored copy of it)."""
    status = str(job.get("Status", "SUBMITTED"))
    groups: Sequence[Mapping[str, Any]] = job.get("Settings", {}).get("OutputGroups", [])
    hls_destination = _destination(
        groups=groups, group_type="HLS_GROUP_SETTINGS", settings_key="HlsGroupSettings"
    )
    poster_destination = _destination(
        groups=groups, group_type="FILE_GROUP_SETTINGS", settings_key="FileGroupSettings"
    )
    complete = status == "COMPLETE"
    poster_uris: tuple[str, ...] = ()
    if complete and poster_destination:
        stem = poster_destination + POSTER_NAME_MODIFIER
        # The 5 s capture first; a clip shorter than that has only the one at 0 s.
        poster_uris = (f"{stem}.0000001.jpg", f"{stem}.0000000.jpg")
    percent = job.get("JobPercentComplete")
    if complete:
        percent = 100
    error_code = job.get("ErrorCode")
    return JobStatus(
        job_id=str(job.get("Id", "")),
        status=status,
        percent=int(percent) if percent is not None else None,
        error_message=job.get("ErrorMessage")
        or (f"MediaConvert error {error_code}" if error_code else None),
        error_code=int(error_code) if error_code is not None else None,
        phase=job.get("CurrentPhase"),
        playlist_uri=hls_destination + ".m3u8" if complete and hls_destination else None,
        poster_uris=poster_uris,
        user_metadata=dict(job.get("UserMetadata", {})),
    )


def _destination(
    *, groups: Sequence[Mapping[str, Any]], group_type: str, settings_key: str
) -> str | None:
    for group in groups:
        settings = group.get("OutputGroupSettings", {})
        if settings.get("Type") == group_type:
            destination = settings.get(settings_key, {}).get("Destination")
            if destination:
                return str(destination)
    return None


def _describe(error: Exception) -> str:
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return f"{details.get('Code', 'Error')}: {details.get('Message', '')}".strip()
    return str(error)
