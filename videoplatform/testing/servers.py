"""pytest plugin: one DynamoDB Local and one SeaweedFS per test session.

Loaded with ``-p`` (see pyproject.toml) so it runs before pytest-django imports the
settings: the servers get free ports, the tables a unique prefix and the buckets
unique names, and the environment tells the settings where they are. ``.data/``
is never touched.
"""

import os
import secrets
import shutil
import tempfile
from pathlib import Path

import pytest

from videoplatform.local_servers import free_port, start_dynamodb_local, start_seaweedfs

_STACK: dict = {}


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    if os.environ.get("VP_TEST_SERVERS") == "external":
        return
    run_id = secrets.token_hex(3)
    workdir = Path(tempfile.mkdtemp(prefix=f"vp-test-{run_id}-"))
    access_key, secret_key = "testkey", "testsecret-" + run_id
    ddb_port, s3_port = free_port(), free_port()
    _STACK["workdir"] = workdir
    _STACK["dynamodb"] = start_dynamodb_local(
        port=ddb_port, db_dir=None, log_path=workdir / "dynamodb.log"
    )
    _STACK["seaweedfs"] = start_seaweedfs(
        s3_port=s3_port,
        data_dir=workdir / "s3",
        access_key=access_key,
        secret_key=secret_key,
        log_path=workdir / "seaweedfs.log",
    )
    os.environ.update(
        {
            "DJANGO_ENV": "test",
            "AWS_ACCESS_KEY_ID": access_key,
            "AWS_SECRET_ACCESS_KEY": secret_key,
            "AWS_REGION": "us-east-1",
            "DYNAMODB_ENDPOINT_URL": f"http://127.0.0.1:{ddb_port}",
            "DYNAMODB_TABLE_PREFIX": f"t{run_id}_",
            "S3_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
            "S3_PUBLIC_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
            "S3_RAW_BUCKET": f"raw-{run_id}",
            "S3_MEDIA_BUCKET": f"media-{run_id}",
            "S3_CORS_ALLOWED_ORIGINS": "*",
            "LIVE_RTMP_PORT": str(free_port()),
            "LIVE_CALLBACK_PORT": str(free_port()),
        }
    )


def pytest_unconfigure(config):
    for name in ("seaweedfs", "dynamodb"):
        server = _STACK.pop(name, None)
        if server is not None:
            server.stop()
    workdir = _STACK.pop("workdir", None)
    if workdir is not None:
        shutil.rmtree(workdir, ignore_errors=True)


def stack_server(name: str):
    """The running test server (``dynamodb`` or ``seaweedfs``), for fault drills."""
    return _STACK[name]
