"""The web benchmark's data, written through the services to the bench's own servers.

A channel with a full page of ready public videos (posters, a master playlist and one
360p rendition playlist each in the media bucket; the segments themselves need not
exist): the load video (50 comments, 10 minutes), a 2-hour one, and a 5- and a
300-comment one. A viewer with 1,000 unread notifications who signs in for the load
run, and one with 5.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

SEGMENT_S = 4  # as the ffmpeg encoder cuts them (videos_app.transcoding.hls_output)
RENDITION = "360p/index.m3u8"
PAGE_OF_VIDEOS = 20  # one full home and channel page
LOAD_COMMENTS = 50
SEEDERS = 8
# Seeding posts hundreds of comments and a page of uploads at once.
SEED_LIMITS = {"COMMENTS_PER_MINUTE": 1_000_000, "UPLOADS_PER_HOUR": 1_000_000}


@dataclass
class WebData:
    owner: object
    channel: object
    viewer: object  # signs in for the load run; 1,000 notifications
    light_viewer: object  # 5 notifications
    password: str
    load_video_id: str  # 50 comments, 10-minute playlist
    long_video_id: str  # 2-hour playlist
    few_comments_video_id: str  # 5 comments
    many_comments_video_id: str  # 300 comments

    def watch_path(self, video_id: str) -> str:
        return f"/watch/{video_id}/"

    def playlist_path(self, video_id: str) -> str:
        return f"/watch/{video_id}/hls/{RENDITION}"

    @property
    def channel_path(self) -> str:
        return f"/c/{self.channel.handle}/"


def rendition_playlist(duration_s: int) -> str:
    """A finished VOD media playlist of ``duration_s`` in SEGMENT_S segments, as ffmpeg
    writes it."""
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        f"#EXT-X-TARGETDURATION:{SEGMENT_S}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
    ]
    whole, rest = divmod(duration_s, SEGMENT_S)
    lengths = [SEGMENT_S] * whole + ([rest] if rest else [])
    for number, length in enumerate(lengths):
        lines += [f"#EXTINF:{length:.6f},", f"seg_{number:05d}.ts"]
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


MASTER_PLAYLIST = (
    "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-INDEPENDENT-SEGMENTS\n"
    "#EXT-X-STREAM-INF:BANDWIDTH=900000,AVERAGE-BANDWIDTH=800000,RESOLUTION=640x360,"
    f'FRAME-RATE=30.000,CODECS="avc1.4d401e,mp4a.40.2"\n{RENDITION}\n'
)


def _store(key: str, body: str | bytes, content_type: str) -> None:
    from django.conf import settings

    from videoplatform.aws import s3_client

    s3_client().put_object(
        Bucket=settings.S3_MEDIA_BUCKET,
        Key=key,
        Body=body.encode() if isinstance(body, str) else body,
        ContentType=content_type,
    )


def ready_video(*, owner, channel, title: str, duration_s: int) -> str:
    """Upload, submit and publish a video as the pipeline does, its outputs stored as
    the worker leaves them. Returns its id."""
    from videos_app import services
    from videos_app.selectors import video_get
    from videos_app.tests.factories import post_to_storage

    source = b"\0" * 1000
    video, post = services.video_create_upload(
        actor=owner,
        channel_id=channel.channel_id,
        title=title,
        description="A video of the web benchmark.",
        visibility="public",
        content_type="video/mp4",
        size=len(source),
    )
    stored = post_to_storage(post, source)
    if stored.status_code not in (200, 201, 204):
        raise RuntimeError(f"source upload failed: {stored.status_code}")
    services.video_mark_uploaded(actor=owner, video=video)
    prefix = f"hls/{video.video_id}"
    _store(f"{prefix}/{RENDITION}", rendition_playlist(duration_s), "application/vnd.apple.mpegurl")
    _store(f"{prefix}/master.m3u8", MASTER_PLAYLIST, "application/vnd.apple.mpegurl")
    _store(f"{prefix}/poster.jpg", b"\xff\xd8\xff\xd9", "image/jpeg")
    published = services.video_publish(
        video=video_get(video.video_id, consistent=True),
        outputs={
            "playlist_key": f"{prefix}/master.m3u8",
            "poster_key": f"{prefix}/poster.jpg",
            "renditions": ["360p"],
            "duration_s": duration_s,
            "width": 640,
            "height": 360,
        },
    )
    if not published:
        raise RuntimeError(f"video {video.video_id} was not published")
    return video.video_id


def post_comments(*, video_id: str, authors: list, count: int) -> None:
    from social_app.services import comment_post

    def post(number: int) -> None:
        comment_post(
            user=authors[number % len(authors)],
            video_id=video_id,
            text=f"Comment {number} of {count}: a fair length of text, as people write.",
        )

    with ThreadPoolExecutor(SEEDERS) as pool:
        list(pool.map(post, range(count)))


def notify(*, user, count: int) -> None:
    from social_app.notifications import notification_create

    def create(number: int) -> None:
        notification_create(
            user_id=user.user_id, kind="video", text=f"New video {number}", link="/"
        )

    with ThreadPoolExecutor(SEEDERS) as pool:
        list(pool.map(create, range(count)))


def seed(*, log=print) -> WebData:
    """Everything the web benchmark requests. Call inside
    ``override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS, **SEED_LIMITS)``."""
    from conftest import STRONG_PASSWORD, make_channel, make_user

    owner = make_user(display_name="Bench Creator")
    channel = make_channel(owner=owner, name="Web Bench", description="The web benchmark.")
    viewer = make_user(display_name="Bench Viewer")
    light_viewer = make_user(display_name="Bench Light Viewer")
    authors = [make_user(display_name=f"Commenter {n}") for n in range(2)]
    log("seeded the accounts and the channel")

    def video(title: str, duration_s: int) -> str:
        return ready_video(owner=owner, channel=channel, title=title, duration_s=duration_s)

    fillers = PAGE_OF_VIDEOS - 4
    # The first in this thread: the cached AWS clients are made once, not raced for.
    video("Filler 0", 600)
    with ThreadPoolExecutor(SEEDERS) as pool:
        list(pool.map(lambda n: video(f"Filler {n}", 600), range(1, fillers)))
    # Published last, so these four top the home page.
    many = video("Web bench: 300 comments", 600)
    few = video("Web bench: 5 comments", 600)
    long_video = video("Web bench: two hours", 7200)
    load = video(f"Web bench: {LOAD_COMMENTS} comments", 600)
    log(f"seeded a channel with {fillers + 4} ready videos")

    post_comments(video_id=load, authors=authors, count=LOAD_COMMENTS)
    post_comments(video_id=few, authors=authors, count=5)
    post_comments(video_id=many, authors=authors, count=300)
    log(f"seeded {LOAD_COMMENTS}, 5 and 300 comments")
    notify(user=viewer, count=1000)
    notify(user=light_viewer, count=5)
    log("seeded 1,000 and 5 notifications")
    return WebData(
        owner=owner,
        channel=channel,
        viewer=viewer,
        light_viewer=light_viewer,
        password=STRONG_PASSWORD,
        load_video_id=load,
        long_video_id=long_video,
        few_comments_video_id=few,
        many_comments_video_id=many,
    )
