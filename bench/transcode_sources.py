"""The benchmark's source video, made once with ffmpeg and cached under .bench/sources/.

A 1920x1080 30 fps H.264 file at about 25 Mb/s with AAC stereo: a camera-like
pan over a detailed fractal, a moving test card on top and a little temporal
grain (see `bench.transcode_bench` for what it is measured with).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess

from bench.results import BENCH_DIR, REPO_ROOT
from videos_app.transcoding.probe import ffmpeg_exe

SOURCE_SECONDS = 60
SOURCE_WIDTH, SOURCE_HEIGHT, SOURCE_FPS = 1920, 1080, 30
SOURCE_VIDEO_BITRATE = "25M"
SOURCE_AUDIO_BITRATE = "128k"
QUIET_ARGS = ["-hide_banner", "-nostdin", "-y", "-loglevel", "error"]


def ensure_source(*, seconds: int = SOURCE_SECONDS) -> str:
    """Path of the cached benchmark source, made on first use (a few minutes on 2 cores)."""
    recipe = _source_recipe(seconds=seconds)
    digest = hashlib.sha256(json.dumps(recipe).encode()).hexdigest()[:12]
    directory = os.path.join(BENCH_DIR, "sources")
    path = os.path.join(directory, f"motion-{SOURCE_HEIGHT}p{SOURCE_FPS}-{seconds}s-{digest}.mp4")
    if os.path.exists(path):
        return path
    os.makedirs(directory, exist_ok=True)
    print(f"making the {seconds} s source (once; cached as {os.path.relpath(path, REPO_ROOT)})")
    still = os.path.join(directory, f"fractal-{digest}.png")
    subprocess.run([ffmpeg_exe(), *QUIET_ARGS, *recipe["still"], still], check=True)
    partial = path + ".part.mp4"
    subprocess.run(
        [ffmpeg_exe(), *QUIET_ARGS, "-i", still, *recipe["inputs"], *recipe["encode"], partial],
        check=True,
    )
    os.replace(partial, path)
    os.remove(still)
    return path


def _source_recipe(*, seconds: int) -> dict[str, list[str]]:
    # A still fractal half as big again as the frame; the crop window travels
    # over it (a camera pan of up to ~5 px per frame), a 640x360 test card
    # with its own moving parts drifts across, and light grain changes every
    # frame, so no two frames are alike.
    pan = (
        f"crop={SOURCE_WIDTH}:{SOURCE_HEIGHT}:x='480+470*sin(2*PI*t/20)':y='270+260*sin(2*PI*t/13)'"
    )
    graph = (
        f"[0:v]format=yuv420p,loop=loop=-1:size=1:start=0,setpts=N/{SOURCE_FPS}/TB,{pan},"
        "noise=alls=2:allf=t[bg];"
        "[bg][1:v]overlay=x='(W-w)*(0.5+0.5*sin(t/3))':y='(H-h)*(0.5+0.5*cos(t/4))'"
        f":shortest=1,fps={SOURCE_FPS}[v]"
    )
    tone = "0.2*sin(2*PI*440*t)+0.05*sin(2*PI*3000*t)|0.2*sin(2*PI*554*t)+0.03*sin(2*PI*90*t)"
    return {
        "still": [
            "-f",
            "lavfi",
            "-i",
            "mandelbrot=s=2880x1620:maxiter=400:start_scale=1.2:end_scale=1.2"
            ":start_x=-0.743643887:start_y=0.131825904:outer=normalized_iteration_count",
            "-frames:v",
            "1",
        ],
        "inputs": [
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=s=640x360:r={SOURCE_FPS}",
            "-f",
            "lavfi",
            "-i",
            f"aevalsrc={tone}:s=48000",
        ],
        "encode": [
            "-filter_complex",
            graph,
            "-map",
            "[v]",
            "-map",
            "2:a",
            "-t",
            str(seconds),
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-b:v",
            SOURCE_VIDEO_BITRATE,
            "-maxrate",
            SOURCE_VIDEO_BITRATE,
            "-bufsize",
            SOURCE_VIDEO_BITRATE,
            "-g",
            str(2 * SOURCE_FPS),
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-b:a",
            SOURCE_AUDIO_BITRATE,
            "-ac",
            "2",
            "-movflags",
            "+faststart",
        ],
    }
