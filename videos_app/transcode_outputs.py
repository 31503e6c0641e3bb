"""What a transcode produced, read from a MediaConvert-shaped event (pure)."""

from videos_app.keys import media_key_from_uri
from videos_app.models import Video


def outputs_from_detail(detail: dict) -> dict:
    """Output locations from a MediaConvert-shaped ``outputGroupDetails``."""
    outputs: dict = {}
    renditions = []
    for group in detail.get("outputGroupDetails") or []:
        if not isinstance(group, dict):
            continue
        if group.get("type") == "HLS_GROUP":
            paths = group.get("playlistFilePaths") or []
            if paths:
                outputs["playlist_key"] = media_key_from_uri(paths[0])
            for output in group.get("outputDetails") or []:
                video_details = output.get("videoDetails") or {}
                height = video_details.get("heightInPx")
                width = video_details.get("widthInPx")
                if height:
                    renditions.append(f"{height}p")
                    if not outputs.get("height") or height > outputs["height"]:
                        outputs["height"], outputs["width"] = height, width
                if output.get("durationInMs"):
                    outputs["duration_s"] = round(output["durationInMs"] / 1000, 3)
        elif group.get("type") == "FILE_GROUP":
            for output in group.get("outputDetails") or []:
                paths = output.get("outputFilePaths") or []
                if paths:
                    outputs["poster_key"] = media_key_from_uri(paths[-1])
    if renditions:
        outputs["renditions"] = sorted(set(renditions), key=lambda r: int(r[:-1]))
    return {k: v for k, v in outputs.items() if v}


def output_actions(outputs: dict) -> list:
    actions = []
    if outputs.get("playlist_key"):
        actions.append(Video.playlist_key.set(outputs["playlist_key"]))
    if outputs.get("poster_key"):
        actions.append(Video.poster_key.set(outputs["poster_key"]))
    if outputs.get("renditions"):
        actions.append(Video.renditions.set(outputs["renditions"]))
    if outputs.get("duration_s"):
        actions.append(Video.duration_s.set(outputs["duration_s"]))
    if outputs.get("width") and outputs.get("height"):
        actions += [Video.width.set(outputs["width"]), Video.height.set(outputs["height"])]
    return actions
