"""The container's entry point in production mode, against the session's local servers.

The command is the Dockerfile's CMD (gunicorn with gunicorn.conf.py), run here with this
virtualenv's Python; the environment is production (DJANGO_ENV=production, DEBUG off,
the manifest static storage) pointed at the test session's DynamoDB Local and SeaweedFS,
whose endpoints, keys, table prefix and buckets the session put in ``os.environ``.
Static files are collected first into a temporary STATIC_ROOT, as the image build does.
Every request carries what the load balancer adds, except the load balancer's own check.
"""

import json
import os
import re
import runpy
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.urls import reverse
from gunicorn.config import Config

from videoplatform.local_servers import free_port

BASE_DIR = Path(settings.BASE_DIR)
HOST = "tube.example.com"
# As behind CloudFront then the ALB (two trusted proxy hops): HTTPS outside, the
# viewer's address then the edge's in X-Forwarded-For.
PROXY_HEADERS = {
    "Host": HOST,
    "X-Forwarded-Proto": "https",
    "X-Forwarded-For": "198.51.100.7, 10.0.0.2",
}


def image_command() -> list[str]:
    """The Dockerfile's CMD, with its gunicorn run by this virtualenv's Python."""
    found = re.search(r"^CMD\s+(\[.*\])\s*$", (BASE_DIR / "Dockerfile").read_text(), re.M)
    assert found, "the Dockerfile has no CMD in exec form"
    command = json.loads(found.group(1))
    assert command[0] == "gunicorn", command
    return [sys.executable, "-m", "gunicorn", *command[1:]]


def production_env(*, static_root: Path, port: int) -> dict[str, str]:
    """The session's servers (endpoints, keys, table prefix, buckets) in production mode,
    with fresh secrets; no DJANGO_* value of the test process is kept."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("DJANGO_")}
    env.update(
        DJANGO_ENV="production",
        DJANGO_SETTINGS_MODULE="videoplatform.settings",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS=HOST,
        DJANGO_CSRF_TRUSTED_ORIGINS=f"https://{HOST}",
        SITE_URL=f"https://{HOST}",
        EVENTS_WEBHOOK_SECRET=secrets.token_urlsafe(32),
        DEFAULT_FROM_EMAIL=f"Tube <no-reply@{HOST}>",
        EMAIL_HOST_USER="ses-smtp-user",
        EMAIL_HOST_PASSWORD=secrets.token_urlsafe(32),
        STATIC_ROOT=str(static_root),
        PORT=str(port),
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="2",
        FORWARDED_ALLOW_IPS="127.0.0.1",
        LOG_LEVEL="WARNING",
    )
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


class ProductionServer:
    """gunicorn started as the image starts it, in a process group of its own."""

    def __init__(self, *, env: dict[str, str], port: int, log_path: Path) -> None:
        self.env = env
        self.base_url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(
                image_command(),
                env=env,
                cwd=BASE_DIR,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_alive(self, within_s: float = 30) -> None:
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}):\n{self.log()}")
            try:
                if requests.get(self.base_url + "/healthz", timeout=5).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):  # no worker up yet
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer within {within_s:.0f} s:\n{self.log()}")

    def get(self, path: str, **headers) -> requests.Response:
        return requests.get(
            self.base_url + path,
            headers={**PROXY_HEADERS, **headers},
            allow_redirects=False,
            timeout=30,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_once(self, written, within_s: float = 10) -> str:
        """The log as soon as ``written(log)`` holds (or as it is after ``within_s``)."""
        deadline = time.monotonic() + within_s
        while not written(text := self.log()) and time.monotonic() < deadline:
            time.sleep(0.05)
        return text

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    return tmp_path_factory.mktemp("staticfiles")


@pytest.fixture(scope="module")
def server_env(static_root):
    return production_env(static_root=static_root, port=free_port())


@pytest.fixture(scope="module")
def manifest(server_env, static_root):
    """collectstatic with the production storage into the temporary STATIC_ROOT."""
    result = manage("collectstatic", "--noinput", "--verbosity", "0", env=server_env)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads((static_root / "staticfiles.json").read_text())["paths"]


@pytest.fixture(scope="module")
def server(server_env, manifest, tmp_path_factory):
    log_path = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    started = ProductionServer(env=server_env, port=int(server_env["PORT"]), log_path=log_path)
    try:
        started.wait_alive()
        yield started
    finally:
        started.stop()


class TestProductionImage:
    def test_check_deploy_is_clean(self, server_env):
        """`check --deploy` with the server's environment reports no issue, warnings
        included."""
        result = manage("check", "--deploy", "--fail-level", "WARNING", env=server_env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "no issues" in result.stdout

    def test_home_page_through_the_load_balancer(self, server, manifest):
        """The home page answers 200 over the load balancer's HTTPS, with HSTS, and names
        static files by their hashed names."""
        response = server.get("/")
        assert response.status_code == 200, server.log()[-3000:]
        assert "max-age=" in response.headers["Strict-Transport-Security"]
        assert f'/static/{manifest["css/site.css"]}"' in response.text

    def test_plain_http_is_redirected_to_https(self, server):
        """Without the load balancer's X-Forwarded-Proto a page is sent to HTTPS."""
        response = server.get("/", **{"X-Forwarded-Proto": "http"})
        assert response.status_code == 301
        assert response.headers["Location"] == f"https://{HOST}/"

    def test_static_file_by_hashed_name_is_cached_for_long(self, server, manifest):
        """whitenoise serves a file under its manifest name, cacheable for a year or more
        and immutable, compressed when the browser accepts it."""
        response = server.get(f"/static/{manifest['css/site.css']}", **{"Accept-Encoding": "gzip"})
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/css")
        assert response.headers.get("Content-Encoding") == "gzip"
        cache_control = response.headers["Cache-Control"]
        max_age = int(re.search(r"max-age=(\d+)", cache_control).group(1))
        assert max_age >= 365 * 24 * 3600 and "immutable" in cache_control

    def test_liveness_answers_the_load_balancer_check(self, server):
        """/healthz answers the load balancer's own check: plain HTTP with the task's
        address as Host and no forwarded headers."""
        response = requests.get(
            server.base_url + "/healthz", headers={"Host": "10.0.3.17:8000"}, timeout=10
        )
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}

    def test_readiness_reaches_both_stores(self, server):
        """/readyz answers 200: gunicorn's workers reach DynamoDB and S3."""
        response = server.get("/readyz")
        assert response.status_code == 200, response.text
        assert response.json() == {"status": "ok", "dynamodb": "ok", "s3": "ok"}

    def test_access_log_keeps_no_secrets(self, server):
        """The access log names each request's path without its query string and hides a
        sign-up link's token; none of the server's secrets is anywhere in its output."""
        query_token = secrets.token_hex(16)
        link_token = secrets.token_hex(16)
        liveness_line = '"GET /healthz HTTP/1.1" 200'
        checks_before = server.log().count(liveness_line)
        server.get(f"/healthz?t={query_token}")
        server.get(reverse("signup_confirm", kwargs={"token": link_token}))
        # gunicorn writes a request's line after answering it.
        log = server.log_once(
            lambda text: (
                text.count(liveness_line) > checks_before
                and "/accounts/signup/confirm/[hidden]/" in text
            )
        )
        access_lines = [line for line in log.splitlines() if '"GET /' in line]
        assert any(
            '"GET /accounts/signup/confirm/[hidden]/ HTTP/1.1"' in x for x in access_lines
        ), log[-3000:]
        for line in access_lines:
            assert query_token not in line and link_token not in line, line
        for secret in (
            server.env["DJANGO_SECRET_KEY"],
            server.env["EVENTS_WEBHOOK_SECRET"],
            server.env["EMAIL_HOST_PASSWORD"],
            server.env["AWS_SECRET_ACCESS_KEY"],
        ):
            assert secret not in log


def gunicorn_settings(monkeypatch, **env) -> Config:
    """gunicorn.conf.py read as gunicorn reads it, with ``env`` as the only settings
    variables set; every value passes gunicorn's own validation."""
    for name in ("PORT", "WEB_CONCURRENCY", "GUNICORN_THREADS", "FORWARDED_ALLOW_IPS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config = Config()
    for name, value in runpy.run_path(str(BASE_DIR / "gunicorn.conf.py")).items():
        if name in config.settings:
            config.set(name, value)
    return config


class TestImageDefinition:
    def test_gunicorn_defaults(self, monkeypatch):
        """By default: port 8000 on every interface, gthread with 4 threads, at least two
        workers, and no address trusted to say the request came over HTTPS."""
        config = gunicorn_settings(monkeypatch)
        assert config.bind == ["0.0.0.0:8000"]
        assert config.worker_class_str == "gthread" and config.threads == 4
        assert config.workers >= 2
        assert config.forwarded_allow_ips == []
        assert config.control_socket_disable

    def test_gunicorn_environment_overrides(self, monkeypatch):
        """PORT, WEB_CONCURRENCY, GUNICORN_THREADS and FORWARDED_ALLOW_IPS set the
        matching settings."""
        config = gunicorn_settings(
            monkeypatch,
            PORT="9000",
            WEB_CONCURRENCY="3",
            GUNICORN_THREADS="8",
            FORWARDED_ALLOW_IPS="10.0.0.0/16",
        )
        assert config.bind == ["0.0.0.0:9000"]
        assert (config.workers, config.threads) == (3, 8)
        assert config.forwarded_allow_ips == ["10.0.0.0/16"]

    def test_image_runs_unprivileged_without_its_own_health_check(self):
        """The image's last stage switches to an unprivileged user and declares no
        HEALTHCHECK (the load balancer checks /healthz)."""
        dockerfile = (BASE_DIR / "Dockerfile").read_text()
        last_stage = dockerfile.rsplit("\nFROM ", 1)[1]
        users = re.findall(r"^USER\s+(\S+)", last_stage, re.M)
        assert users and users[-1] not in ("root", "0")
        assert not re.search(r"^HEALTHCHECK", dockerfile, re.M)

    def test_build_context_leaves_out_local_state(self):
        """.dockerignore keeps the virtualenv, local servers and data, git, caches and
        the CDK output out of the image's build context."""
        ignored = {
            line.strip()
            for line in (BASE_DIR / ".dockerignore").read_text().splitlines()
            if line.strip() and not line.startswith("#")
        }
        expected = {".venv", ".local", ".data", ".git", "**/__pycache__", "cdk.out", ".env"}
        assert expected <= ignored
