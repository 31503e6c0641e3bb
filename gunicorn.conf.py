"""gunicorn in production: the container's entry point (see Dockerfile).

    gunicorn --config gunicorn.conf.py videoplatform.wsgi:application

Each worker prepares itself when it imports ``videoplatform.wsgi`` (AWS clients,
templates, ``gc.freeze``), so there is no ``preload_app`` and no fork hook: clients
made in the master would be shared by every worker after the fork.

Environment (all optional):

- ``PORT``: where to listen (8000), on every interface, for the load balancer.
- ``WEB_CONCURRENCY``: worker processes; by default the CPUs this container may use,
  at least 2, so one worker being replaced never leaves the task without one.
- ``GUNICORN_THREADS``: threads per worker (4): requests mostly wait on DynamoDB and S3.
- ``FORWARDED_ALLOW_IPS``: addresses or networks (the load balancer's subnets) whose
  X-Forwarded-Proto gunicorn believes; none by default.
- ``LOG_LEVEL``: gunicorn's own messages (info).
"""

import math
import os
import re
from pathlib import Path

from gunicorn.glogging import Logger


def container_cpus() -> int:
    """CPUs this process may use: the ones it may run on, lowered to the cgroup's CPU
    quota when there is one (``os.cpu_count()`` counts the host's)."""
    cpus = len(os.sched_getaffinity(0))
    quota = _cgroup_cpu_quota()
    if quota is not None:
        cpus = min(cpus, max(1, math.ceil(quota)))
    return cpus


def _cgroup_cpu_quota() -> float | None:
    """The cgroup's CPU limit in CPUs (cgroup v2 ``cpu.max``, else v1 CFS), or None."""
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota = int(Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").read_text())
        period = int(Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us").read_text())
        return None if quota <= 0 else quota / period
    except (OSError, ValueError):
        return None


# Path segments that are credentials: the token of an emailed sign-up link.
_SECRET_IN_PATH = re.compile(r"^(/accounts/signup/confirm/)[^/]+")


class AccessLogWithoutSecrets(Logger):
    """The access log names the path without its query string (view-count tokens,
    playlist signatures, Cognito's code) and with a sign-up link's token masked."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["U"] = _SECRET_IN_PATH.sub(r"\1[hidden]", atoms["U"] or "")
        return atoms


bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY") or max(2, container_cpus()))
threads = int(os.environ.get("GUNICORN_THREADS") or 4)

# A worker whose main loop is silent this long is killed (threads keep it beating while
# requests wait, so this is not a request timeout: those are the AWS client timeouts).
timeout = 30
# ECS sends SIGTERM and waits 30 s (stopTimeout) before SIGKILL; the load balancer has
# already stopped sending new requests by then (deregistration).
graceful_timeout = 25
# Longer than the ALB's idle timeout (60 s), so the ALB, not gunicorn, closes idle
# connections: otherwise a request can meet a connection gunicorn just closed (a 502).
keepalive = 75
# The heartbeat file on tmpfs: on the container's overlay disk an fchmod can stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# Only the load balancer sets the scheme. Django reads X-Forwarded-Proto itself
# (SECURE_PROXY_SSL_HEADER): the task must be reachable from the load balancer only.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "")
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
logger_class = AccessLogWithoutSecrets
# %(U)s is the path without its query string; never %(r)s, %(q)s or the referrer.
access_log_format = (
    '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s" %({x-amzn-trace-id}i)s'
)

# No runtime control socket (gunicornc) in a container nobody logs in to.
control_socket_disable = True
proc_name = "tube-web"
