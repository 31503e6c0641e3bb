"""gunicorn for the web benchmark: the production settings on the bench's local servers.

DJANGO_ENV=production, so DEBUG is off and the production middleware settings apply
(HTTPS redirect, HSTS, __Host- cookies, the PBKDF2 hasher, two trusted proxy hops). The
values production requires are set to local ones: the stack's table prefix and buckets,
a fresh secret key, 127.0.0.1 as the host. Email goes to the console backend so that
no SES credentials are needed (no measured page sends any). Static files as locally
(`bench.web_settings`). Every request carries the headers the load balancer would add.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import requests

from bench.results import REPO_ROOT
from bench.web_load import BARE_PATH

WORKERS = 2
THREADS = 4
# As behind CloudFront then the ALB (TRUSTED_PROXY_HOPS=2): HTTPS outside, the viewer's
# address then the edge's in X-Forwarded-For.
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7, 10.0.0.2"}
# The production hasher, for accounts that sign in through gunicorn (the bench process
# runs the test settings, whose MD5 hasher production would not accept).
PRODUCTION_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
_CSRF_FIELD_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def production_env(base: Mapping[str, str], *, port: int) -> dict[str, str]:
    """The environment of the bench's gunicorn: ``base`` (the stack's endpoints, table
    prefix, buckets and keys) in production mode."""
    origin = f"https://127.0.0.1:{port}"
    env = {name: value for name, value in base.items() if name != "DJANGO_DEBUG"}
    env.update(
        DJANGO_ENV="production",
        DJANGO_SETTINGS_MODULE="bench.web_settings",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_CSRF_TRUSTED_ORIGINS=origin,
        SITE_URL=origin,
        EVENTS_WEBHOOK_SECRET=secrets.token_urlsafe(32),
        EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
        LOG_LEVEL="WARNING",
    )
    return env


def gunicorn_command(*, port: int, log_path: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(WORKERS),
        "--worker-class",
        "gthread",
        "--threads",
        str(THREADS),
        "--bind",
        f"127.0.0.1:{port}",
        "--chdir",
        REPO_ROOT,
        "--error-logfile",
        log_path,
        "--log-level",
        "warning",
        "videoplatform.wsgi:application",
    ]


class Gunicorn:
    """The bench's own gunicorn, in a process group of its own; `stop()` ends only it."""

    def __init__(self, *, env: Mapping[str, str], port: int) -> None:
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        handle, self.log_path = tempfile.mkstemp(prefix="web-bench-gunicorn-", suffix=".log")
        os.close(handle)
        self.process = subprocess.Popen(
            gunicorn_command(port=port, log_path=self.log_path),
            env=dict(env),
            cwd=REPO_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}):\n{self.log()}")
            try:
                response = requests.get(self.base_url + BARE_PATH, headers=PROXY_HEADERS, timeout=5)
                if response.status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s:\n{self.log()}")

    def worker_pids(self) -> list[int]:
        return child_pids(self.process.pid)

    def log(self, tail: int = 4000) -> str:
        return Path(self.log_path).read_text(errors="replace")[-tail:]

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=20)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if os.path.exists(self.log_path):
            os.unlink(self.log_path)


def child_pids(parent: int) -> list[int]:
    """The processes whose parent is ``parent`` (gunicorn's workers under its master)."""
    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:  # gone meanwhile
            continue
        found = re.search(r"^PPid:\s*(\d+)", status, re.MULTILINE)
        if found and int(found.group(1)) == parent:
            children.append(int(entry))
    return sorted(children)


def workers_cpu_s(pids: list[int]) -> list[float]:
    """CPU seconds (user + system) each process has used so far."""
    tick = os.sysconf("SC_CLK_TCK")
    spent = []
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        spent.append((int(fields[11]) + int(fields[12])) / tick)
    return spent


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` in MiB (VmRSS)."""
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"^VmRSS:\s*(\d+)\s*kB", status, re.MULTILINE)
    if not found:
        raise RuntimeError(f"no VmRSS for process {pid}")
    return int(found.group(1)) / 1024


def cookie_header(cookies: Mapping[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def sign_in(base_url: str, *, email: str, password: str) -> str:
    """Log in through the form, as a browser would over HTTPS; returns the Cookie header
    a signed-in browser then sends (session, CSRF and device cookies).

    The cookies are Secure (production), so they are carried by hand: this end speaks
    plain HTTP to gunicorn, like the load balancer does."""
    login_url = base_url + "/accounts/login/"
    page = requests.get(login_url, headers=PROXY_HEADERS, timeout=30)
    page.raise_for_status()
    token = _CSRF_FIELD_RE.search(page.text)
    if not token:
        raise RuntimeError("the log-in page has no CSRF field")
    cookies = dict(page.cookies)
    origin = "https://" + base_url.split("://", 1)[1]
    response = requests.post(
        login_url,
        data={"csrfmiddlewaretoken": token.group(1), "email": email, "password": password},
        headers={
            **PROXY_HEADERS,
            "Cookie": cookie_header(cookies),
            "Origin": origin,
            "Referer": origin + "/accounts/login/",
        },
        allow_redirects=False,
        timeout=60,
    )
    if response.status_code != 302:
        raise RuntimeError(f"log-in through gunicorn failed: {response.status_code}")
    cookies.update(response.cookies)
    return cookie_header(cookies)
