"""Stopping a local stream: the app asks the ingest, the ingest asks nginx.

The app (``LocalBackend.stop_stream``) posts the session's stream id to the ingest's
callback server (``LIVE_CALLBACK_PORT``, loopback only) at ``/stop``, signed with the
site's secret key, which the ingest shares because it runs with the same settings: a
local caller without it cannot stop a stream, even knowing its key. The ingest knows
which stream key the session publishes with and drops that publisher through
nginx-rtmp's control module, served on a loopback port of its own under the run's
secret path. nginx then calls ``on_publish_done`` and ``on_record_done`` as after any
stream, so the session ends and its recording becomes the replay.
"""

import subprocess
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from django.utils.crypto import constant_time_compare, salted_hmac

from live_app.backends.base import LiveBackendError

STOP_PATH = "/stop"
_SALT = "live_app.ingest_control.stop"
TIMEOUT_S = 5
# The HTTP modules whose temporary directories nginx creates at start (absolute paths
# compiled in, not writable by a user process): each moved into the work directory.
_TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def stop_signature(stream_id: str) -> str:
    return salted_hmac(_SALT, stream_id, algorithm="sha256").hexdigest()


def stop_signature_valid(stream_id: str, signature: str) -> bool:
    return bool(stream_id) and constant_time_compare(stop_signature(stream_id), signature or "")


def request_stop(stream_id: str, *, callback_port: int) -> int:
    """Ask the ingest to drop the publisher of the session ``stream_id``; returns how
    many publishers it dropped (0 when nobody was streaming)."""
    body = urlencode({"stream_id": stream_id, "signature": stop_signature(stream_id)})
    request = Request(
        f"http://127.0.0.1:{callback_port}{STOP_PATH}", data=body.encode(), method="POST"
    )
    try:
        with urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310 - loopback http
            return int(response.read().strip() or 0)
    except HTTPError as error:
        raise LiveBackendError(f"The local ingest refused to stop the stream ({error.code}).")
    except (URLError, OSError, ValueError):
        raise LiveBackendError(
            "The local ingest could not be reached (is manage.py live_ingest running?)."
        ) from None


def control_config(*, nginx: str, port: int, secret: str, temp_dir: str) -> str:
    """nginx's ``http`` block: rtmp_control on 127.0.0.1 under ``/<secret>/control/``,
    nothing else."""
    temp = "".join(f"    {name}_temp_path {temp_dir}/{name};\n" for name in _http_modules(nginx))
    return f"""
http {{
    access_log off;
{temp}    server {{
        listen 127.0.0.1:{port};
        location /{secret}/control/ {{
            allow 127.0.0.1;
            deny all;
            rtmp_control all;
        }}
        location / {{ return 404; }}
    }}
}}
"""


def _http_modules(nginx: str) -> list[str]:
    try:
        built = subprocess.run(
            [nginx, "-V"], capture_output=True, text=True, timeout=TIMEOUT_S
        ).stderr
    except (OSError, subprocess.TimeoutExpired):
        built = ""
    return [
        name
        for name in _TEMP_PATHS
        if name == "client_body" or f"--without-http_{name}_module" not in built
    ]


def drop_publisher(*, port: int, secret: str, app: str, stream_key: str) -> int:
    """nginx-rtmp's ``drop/publisher``: disconnect whoever publishes ``stream_key``;
    returns how many it dropped."""
    query = urlencode({"app": app, "name": stream_key})
    url = f"http://127.0.0.1:{port}/{secret}/control/drop/publisher?{query}"
    with urlopen(url, timeout=TIMEOUT_S) as response:  # noqa: S310 - loopback http
        return int(response.read().strip() or 0)
