"""Run the whole local stack in one terminal: DynamoDB Local, SeaweedFS, tables and
buckets, the background workers and the web server. Ctrl-C stops everything.

Data lives in ``.data/`` and survives restarts.
"""

import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError

from videoplatform.aws import s3_client
from videoplatform.local_servers import (
    BASE_DIR,
    LocalServerError,
    ManagedProcess,
    port_open,
    start_dynamodb_local,
    start_seaweedfs,
    wait_for_port,
    wait_for_s3,
)
from videoplatform.run_supervisor import RunSupervisor

DATA_DIR = BASE_DIR / ".data"
# Each with its arguments. The reconcilers run every minute, as cron or EventBridge
# Scheduler runs them in production: a transcode cut off by a restart is picked up
# again, and a live session whose ingest died is ended.
BACKGROUND_COMMANDS = (
    ("transcode_worker",),
    ("notification_worker",),
    ("search_worker",),
    ("live_ingest",),
    ("reconcile_transcodes", "--every", "60"),
    ("reconcile_live", "--every", "60"),
)


def _port_of(url: str, name: str) -> int:
    parsed = urlparse(url)
    if parsed.hostname not in {"127.0.0.1", "localhost"} or not parsed.port:
        raise CommandError(
            f"{name} must point at 127.0.0.1:<port> for the local stack, got {url!r}"
        )
    return parsed.port


class Command(BaseCommand):
    help = "Start the local stack (DynamoDB Local, SeaweedFS, workers, web server) until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000", help="host:port for the web server")

    def handle(self, *args, addr: str, **options):
        host, _, port = addr.rpartition(":")
        web_port = int(port)
        ddb_port = _port_of(settings.DYNAMODB_ENDPOINT_URL, "DYNAMODB_ENDPOINT_URL")
        s3_port = _port_of(settings.S3_ENDPOINT_URL, "S3_ENDPOINT_URL")
        supervisor = RunSupervisor(DATA_DIR / "run" / "processes.json", say=self.stdout.write)
        # A run that was killed (SIGKILL, a closed terminal) could not stop its servers.
        for name in supervisor.stop_leftovers():
            self.stdout.write(f"Stopped {name}, left running by an earlier run.")
        for name, taken in (
            ("web server", web_port),
            ("DynamoDB Local", ddb_port),
            ("SeaweedFS S3", s3_port),
        ):
            if port_open(taken):
                raise CommandError(
                    f"Port {taken} for the {name} is already in use (is another `make run` going?)."
                )
        logs = DATA_DIR / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        processes = supervisor.processes

        def stop_all(*_):
            if not supervisor.stopping:
                self.stdout.write("\nStopping...")
            supervisor.stop_all()

        def interrupt(*_):
            raise KeyboardInterrupt

        # Explicit handlers: a shell may start us with SIGINT ignored (background jobs).
        signal.signal(signal.SIGINT, interrupt)
        signal.signal(signal.SIGTERM, interrupt)
        try:
            self.stdout.write("Starting DynamoDB Local...")
            supervisor.add(
                start_dynamodb_local(
                    port=ddb_port, db_dir=DATA_DIR / "dynamodb", log_path=logs / "dynamodb.log"
                )
            )
            self.stdout.write("Starting SeaweedFS (S3)...")
            supervisor.add(
                start_seaweedfs(
                    s3_port=s3_port,
                    data_dir=DATA_DIR / "s3",
                    access_key=settings.AWS_ACCESS_KEY_ID,
                    secret_key=settings.AWS_SECRET_ACCESS_KEY,
                    log_path=logs / "seaweedfs.log",
                )
            )
            wait_for_s3(s3_client())
            call_command("ensure_tables", stdout=self.stdout)
            call_command("ensure_buckets", stdout=self.stdout)
            # Local data from before the sharded keys is moved once; later starts find
            # nothing to do (a Scan of the local tables, fine at a laptop's size).
            call_command("migrate_data", stdout=self.stdout)
            # Data made before search existed (or a deleted .data/search/) is indexed
            # once; later starts find the index and leave it to the search worker.
            if not (Path(settings.SEARCH_PATH) / "CURRENT").exists():
                call_command("search_reindex", stdout=self.stdout)
            available = get_commands()
            for command, *arguments in BACKGROUND_COMMANDS:
                if command in available:
                    supervisor.add(
                        self._spawn_manage(
                            command, logs / f"{command}.log", port=0, extra=arguments
                        )
                    )
            web = self._spawn_manage(
                "runserver", logs / "web.log", port=web_port, extra=[f"{host}:{web_port}"]
            )
            supervisor.add(web)
            wait_for_port(web_port, web.process, "web server", timeout=60)
            url = f"http://{host}:{web_port}/"
            self.stdout.write(self.style.SUCCESS(f"\nThe video platform is running at {url}"))
            self.stdout.write(f"Logs: {logs}/  -  press Ctrl-C to stop.\n")
            while True:
                for managed in processes:
                    if managed.process.poll() is not None:
                        raise LocalServerError(
                            f"{managed.name} exited (code {managed.process.returncode}); "
                            f"see {managed.log_path}"
                        )
                time.sleep(1)
        except KeyboardInterrupt:
            pass
        except LocalServerError as error:
            self.stderr.write(self.style.ERROR(str(error)))
            stop_all()
            raise CommandError("The local stack could not keep running.") from None
        finally:
            stop_all()

    def _spawn_manage(
        self, command: str, log_path, *, port: int, extra: list[str] | None = None
    ) -> ManagedProcess:
        args = [sys.executable, str(BASE_DIR / "manage.py"), command, *(extra or [])]
        log = open(log_path, "ab")  # noqa: SIM115 - handed to the child process
        process = subprocess.Popen(
            args, stdout=log, stderr=subprocess.STDOUT, cwd=BASE_DIR, start_new_session=True
        )
        return ManagedProcess(command, process, port, log_path)
