"""The local live ingest: nginx's RTMP module accepts publishers, this process decides.

nginx (Debian's libnginx-mod-rtmp, run as a user process with its own config) calls
back ``on_publish`` / ``on_publish_done`` / ``on_record_done`` over HTTP to a small
server in this process, which accepts only the stream key of a session waiting for
its stream (2xx) and refuses any other (4xx, nginx drops the connection). nginx
remuxes the stream to HLS with 1 s segments; a sync thread copies each new segment,
then the playlist, to ``live/<stream_id>/`` in the media bucket. Stream and
recording state reach the app as IVS-shaped events through the shared intake. The
app's "End stream" asks this process to drop a publisher (``live_app.ingest_control``).
"""

import hmac
import logging
import os
import secrets
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

from django.conf import settings

from live_app import ingest_control, services
from videoplatform.aws import s3_client
from videoplatform.errors import PermissionDenied
from videoplatform.events import handle_event, make_event
from videoplatform.local_servers import free_port

logger = logging.getLogger(__name__)

RTMP_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so"
SYNC_EVERY_S = 0.2


class IngestUnavailable(RuntimeError):
    pass


def live_prefix(stream_id: str) -> str:
    return f"live/{stream_id}/"


def nginx_executable() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None
    )
    if not found or not os.path.exists(RTMP_MODULE):
        raise IngestUnavailable(
            "The local RTMP ingest needs nginx with the RTMP module: "
            "apt-get install nginx-light libnginx-mod-rtmp"
        )
    return found


@dataclass
class ActiveStream:
    stream_id: str
    channel_arn: str
    uploaded: set = field(default_factory=set)
    playlist_mtime: float = 0.0
    started: bool = False  # "Stream Start" sent (after the first segment was copied)


class IngestServer:
    """nginx-rtmp + callback server + S3 sync, started and stopped together."""

    def __init__(
        self,
        *,
        rtmp_host: str,
        rtmp_port: int,
        callback_port: int,
        work_dir: Path,
        control_port: int | None = None,
    ):
        self.rtmp_host = rtmp_host
        self.rtmp_port = rtmp_port
        self.callback_port = callback_port
        # nginx's control (drop a publisher), on loopback; only this process calls it.
        self.control_port = control_port or free_port()
        self.work_dir = Path(work_dir)
        self.hls_dir = self.work_dir / "hls"
        self.rec_dir = self.work_dir / "rec"
        # Keyed by stream key; only this process and nginx ever see keys.
        self.active: dict[str, ActiveStream] = {}
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.nginx: subprocess.Popen | None = None
        self.http: ThreadingHTTPServer | None = None
        self.threads: list[threading.Thread] = []
        # Only the nginx this process configures knows it: any other local caller that
        # knows a stream key still cannot end or start that stream.
        self.callback_secret = secrets.token_urlsafe(24)

    # --- lifecycle ---------------------------------------------------------------

    def config(self) -> str:
        user = "user root;" if os.geteuid() == 0 else ""
        callback = f"http://127.0.0.1:{self.callback_port}/{self.callback_secret}"
        return f"""
load_module {RTMP_MODULE};
{user}
worker_processes 1;
daemon off;
pid {self.work_dir}/nginx.pid;
error_log {self.work_dir}/nginx-error.log error;
events {{ worker_connections 128; }}
rtmp {{
    access_log off;
    server {{
        listen {self.rtmp_host}:{self.rtmp_port};
        chunk_size 4096;
        application live {{
            live on;
            allow play 127.0.0.1;
            deny play all;
            on_publish {callback}/publish;
            on_publish_done {callback}/publish_done;
            on_record_done {callback}/record_done;
            hls on;
            hls_path {self.hls_dir};
            hls_nested on;
            hls_fragment 1s;
            hls_playlist_length 12s;
            hls_cleanup off;
            record all;
            record_path {self.rec_dir};
            record_unique on;
        }}
    }}
}}
""" + ingest_control.control_config(
            nginx=shutil.which("nginx") or "/usr/sbin/nginx",
            port=self.control_port,
            secret=self.callback_secret,
            temp_dir=str(self.work_dir / "tmp"),
        )

    def start(self) -> None:
        executable = nginx_executable()
        for path in (self.work_dir, self.hls_dir, self.rec_dir, self.work_dir / "tmp"):
            path.mkdir(parents=True, exist_ok=True)
        # Listed before nginx starts, so none of them is a recording being written now.
        leftovers = sorted(self.rec_dir.glob("*.flv"))
        conf = self.work_dir / "nginx.conf"
        conf.touch(mode=0o600)
        conf.chmod(0o600)  # it holds the callback secret
        conf.write_text(self.config())
        self.http = ThreadingHTTPServer(
            ("127.0.0.1", self.callback_port), callback_handler_for(self)
        )
        self.http.daemon_threads = True
        http_thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        sync_thread = threading.Thread(target=self._sync_loop, daemon=True)
        recover_thread = threading.Thread(
            target=self.recover_recordings, args=(leftovers,), daemon=True
        )
        self.threads = [http_thread, sync_thread, recover_thread]
        for thread in self.threads:
            thread.start()
        self.nginx = subprocess.Popen(
            [
                executable,
                "-p",
                str(self.work_dir),
                "-c",
                str(conf),
                "-e",
                str(self.work_dir / "nginx-error.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        import socket

        while time.monotonic() < deadline:
            if self.nginx.poll() is not None:
                raise IngestUnavailable(
                    f"nginx exited at start; see {self.work_dir / 'nginx-error.log'}"
                )
            with socket.socket() as sock:
                sock.settimeout(0.2)
                if sock.connect_ex((self.rtmp_host, self.rtmp_port)) == 0:
                    return
            time.sleep(0.1)
        raise IngestUnavailable("nginx did not listen for RTMP in time")

    def stop(self) -> None:
        self.stop_event.set()
        if self.nginx and self.nginx.poll() is None:
            self.nginx.terminate()
            try:
                self.nginx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
        if self.http:
            self.http.shutdown()
            self.http.server_close()

    # --- callbacks from nginx --------------------------------------------------------

    def on_publish(self, stream_key: str) -> bool:
        try:
            session = services.live_authorize_publish(stream_key=stream_key)
        except PermissionDenied as error:
            logger.info("publish refused: %s", error.message)
            return False
        with self.lock:
            if stream_key in self.active:
                return False  # a second publisher on a key already streaming
            self.active[stream_key] = ActiveStream(session.stream_id, session.channel_arn)
        return True

    def on_publish_done(self, stream_key: str) -> None:
        with self.lock:
            stream = self.active.get(stream_key)
        if stream is None:
            return
        self._sync_stream(stream_key, stream)  # last segments and playlist
        with self.lock:
            self.active.pop(stream_key, None)
        self._emit_stream(stream, "Stream End")

    def stop_stream(self, stream_id: str) -> int:
        """Drop the publisher of the session ``stream_id`` (the owner's "End stream");
        nginx then reports the end as usual. Returns how many publishers were dropped."""
        with self.lock:
            keys = [key for key, stream in self.active.items() if stream.stream_id == stream_id]
        return sum(
            ingest_control.drop_publisher(
                port=self.control_port, secret=self.callback_secret, app="live", stream_key=key
            )
            for key in keys
        )

    def recover_recordings(self, paths: list[Path]) -> int:
        """Recordings an earlier run left behind (it stopped before uploading them) go up
        now, as if they had just ended, so those streams still get their replay. nginx
        names them ``<stream key>-<unix time>.flv``. Returns how many went up."""
        recovered = 0
        for path in paths:
            stream_key = path.stem.rsplit("-", 1)[0]
            try:
                self.on_record_done(stream_key, str(path))
            except Exception:  # noqa: BLE001 - keep the file; the next start tries again
                logger.exception("could not recover a recording left by an earlier run")
                continue
            recovered += not path.exists()
        return recovered

    def on_record_done(self, stream_key: str, path: str) -> None:
        session = services.session_by_key(stream_key)
        recording = Path(path)
        if session is None or not recording.is_file() or recording.parent != self.rec_dir:
            return
        key = f"recordings/{session.stream_id}/{int(time.time())}.flv"
        s3_client().upload_file(
            str(recording), settings.S3_RAW_BUCKET, key, ExtraArgs={"ContentType": "video/x-flv"}
        )
        recording.unlink(missing_ok=True)
        detail = {
            "channel_name": session.stream_id,
            "stream_id": session.stream_id,
            "recording_status": "Recording End",
            "recording_status_reason": "",
            "recording_s3_bucket_name": settings.S3_RAW_BUCKET,
            "recording_s3_key_prefix": key,
            "recording_duration_ms": 0,
            "recording_session_id": session.stream_id,
        }
        handle_event(
            make_event(
                source="aws.ivs",
                detail_type="IVS Recording State Change",
                detail=detail,
                resources=[session.channel_arn],
            )
        )

    def _emit_stream(self, stream: ActiveStream, name: str) -> None:
        handle_event(
            make_event(
                source="aws.ivs",
                detail_type="IVS Stream State Change",
                detail={
                    "event_name": name,
                    "channel_name": stream.stream_id,
                    "stream_id": stream.stream_id,
                },
                resources=[stream.channel_arn],
            )
        )

    # --- HLS to S3 ------------------------------------------------------------------

    def _sync_loop(self) -> None:
        while not self.stop_event.wait(SYNC_EVERY_S):
            with self.lock:
                streams = list(self.active.items())
            for stream_key, stream in streams:
                try:
                    self._sync_stream(stream_key, stream)
                except Exception:  # noqa: BLE001 - storage blip: next round retries
                    logger.warning("live sync failed for %s", stream.stream_id)

    def _sync_stream(self, stream_key: str, stream: ActiveStream) -> None:
        folder = self.hls_dir / stream_key
        playlist = folder / "index.m3u8"
        if not playlist.exists():
            return
        mtime = playlist.stat().st_mtime
        if mtime == stream.playlist_mtime:
            return
        text = playlist.read_text()
        client = s3_client()
        prefix = live_prefix(stream.stream_id)
        for line in text.splitlines():
            name = line.strip()
            if not name or name.startswith("#") or name in stream.uploaded or "/" in name:
                continue
            client.upload_file(
                str(folder / name),
                settings.S3_MEDIA_BUCKET,
                prefix + name,
                ExtraArgs={"ContentType": "video/mp2t"},
            )
            stream.uploaded.add(name)
        client.put_object(
            Bucket=settings.S3_MEDIA_BUCKET,
            Key=prefix + "index.m3u8",
            Body=text.encode(),
            ContentType="application/vnd.apple.mpegurl",
        )
        stream.playlist_mtime = mtime
        if not stream.started and stream.uploaded:
            stream.started = True
            self._emit_stream(stream, "Stream Start")


# nginx's callbacks are short forms; anything else is refused unread.
MAX_CALLBACK_BYTES = 64 * 1024


def callback_body_length(value: str | None) -> int | None:
    """The Content-Length of a callback, or None when it is not a number in 0..64 KiB
    (a negative one would make the read wait for the end of the connection)."""
    try:
        length = int(value or 0)
    except ValueError:
        return None
    return length if 0 <= length <= MAX_CALLBACK_BYTES else None


def callback_handler_for(server: IngestServer):
    class CallbackHandler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # request lines carry stream keys: never log them
            pass

        def do_POST(self):  # noqa: N802 - http.server's naming
            length = callback_body_length(self.headers.get("Content-Length"))
            if length is None:
                self.send_response(400)
                self.send_header("Content-Length", "0")
                self.send_header("Connection", "close")
                self.end_headers()
                return
            if self.path == ingest_control.STOP_PATH:
                self._stop(self.rfile.read(length).decode())
                return
            prefix = f"/{server.callback_secret}/"
            if not hmac.compare_digest(self.path[: len(prefix)].encode(), prefix.encode()):
                self.send_response(403)
                self.send_header("Content-Length", "0")
                self.send_header("Connection", "close")
                self.end_headers()
                return
            path = self.path[len(prefix) - 1 :]
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            name = form.get("name", "")
            status = 200
            if path == "/publish":
                status = 200 if server.on_publish(name) else 403
            elif path == "/publish_done":
                threading.Thread(target=server.on_publish_done, args=(name,), daemon=True).start()
            elif path == "/record_done":
                threading.Thread(
                    target=server.on_record_done, args=(name, form.get("path", "")), daemon=True
                ).start()
            else:
                status = 404
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _stop(self, body: str) -> None:
            # From the app, signed with the site's secret key (ingest_control).
            form = {k: v[0] for k, v in parse_qs(body).items()}
            stream_id = form.get("stream_id", "")
            status, answer = 403, b""
            if ingest_control.stop_signature_valid(stream_id, form.get("signature", "")):
                try:
                    status, answer = 200, str(server.stop_stream(stream_id)).encode()
                except OSError:
                    logger.warning("nginx did not drop the publisher of %s", stream_id)
                    status = 502
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    return CallbackHandler
