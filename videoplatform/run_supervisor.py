"""The processes of one ``make run``: written to a pid file as they start, stopped
together in reverse order whatever signals arrive meanwhile, and found again by the
next start if this run was killed before it could stop them.

A process is recognised by its pid and its start time (``/proc/<pid>/stat``), so a
pid the system has since given to something else is never signalled."""

import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

from videoplatform.local_servers import ManagedProcess

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def process_start_time(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (clock ticks since boot), None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces; the fields after it are plain.
    return stat.rsplit(")", 1)[1].split()[19]


def _signal_group(pid: int, signum: int) -> bool:
    try:
        os.killpg(pid, signum)
    except (ProcessLookupError, PermissionError):
        return False
    return True


class RunSupervisor:
    def __init__(self, pid_file: Path, *, say: Callable[[str], None] = print):
        self.pid_file = Path(pid_file)
        self.say = say
        self.processes: list[ManagedProcess] = []
        self.stopping = False

    # --- a run's own processes ---------------------------------------------------

    def add(self, managed: ManagedProcess) -> ManagedProcess:
        self.processes.append(managed)
        self._write()
        return managed

    def _write(self) -> None:
        records = [
            {"name": m.name, "pid": m.process.pid, "started": process_start_time(m.process.pid)}
            for m in self.processes
        ]
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.pid_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(records))
        temporary.replace(self.pid_file)

    def stop_all(self) -> None:
        """Stop every process, newest first. A second Ctrl-C or a SIGTERM while this
        runs is noted and ignored: the stop always finishes."""
        if self.stopping:
            return
        self.stopping = True
        previous = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._while_stopping)
        try:
            for managed in reversed(self.processes):
                managed.stop()
                self.say(f"  stopped {managed.name}")
            self.pid_file.unlink(missing_ok=True)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _while_stopping(self, signum, _frame) -> None:
        self.say(f"  ({signal.Signals(signum).name} received: still stopping, please wait)")

    # --- what a killed run left behind ---------------------------------------------

    def stop_leftovers(self, *, grace_s: float = 10) -> list[str]:
        """Stop the processes a previous run recorded and never stopped. Returns their
        names."""
        try:
            records = json.loads(self.pid_file.read_text())
        except (OSError, ValueError):
            return []
        alive = [
            record
            for record in records
            if isinstance(record, dict)
            and isinstance(record.get("pid"), int)
            and record.get("started") is not None
            and process_start_time(record["pid"]) == record["started"]
        ]
        for record in alive:
            _signal_group(record["pid"], signal.SIGTERM)
        stopped = []
        for record in alive:
            if not _wait_gone(record, grace_s):
                _signal_group(record["pid"], signal.SIGKILL)
                _wait_gone(record, grace_s)
            stopped.append(str(record.get("name", record["pid"])))
        self.pid_file.unlink(missing_ok=True)
        return stopped


def _wait_gone(record: dict, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process_start_time(record["pid"]) != record["started"] or _is_zombie(record["pid"]):
            return True
        time.sleep(0.05)
    return False


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"
