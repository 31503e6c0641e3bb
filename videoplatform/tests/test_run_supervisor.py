"""`make run` stops everything it started whatever signals arrive while it stops, and a
start finds what a killed run left running and stops it."""

import os
import signal
import subprocess
import sys
import threading
import time

from videoplatform.local_servers import ManagedProcess
from videoplatform.run_supervisor import RunSupervisor, process_start_time

# A child that ignores SIGTERM, so stopping it takes until the SIGKILL after the timeout:
# long enough for more signals to arrive while the stop is under way.
STUBBORN = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"


def _spawn(code: str) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    deadline = time.time() + 10
    while process_start_time(process.pid) is None and time.time() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)  # let it install its handler
    return process


def _gone(process: subprocess.Popen) -> bool:
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        return False
    return True


def test_a_second_signal_while_stopping_does_not_abandon_the_stop(tmp_path):
    said = []
    supervisor = RunSupervisor(tmp_path / "processes.json", say=said.append)
    first = supervisor.add(ManagedProcess("first", _spawn("import time; time.sleep(600)"), 0))
    slow = ManagedProcess("slow", _spawn(STUBBORN), 0)
    slow.stop = lambda timeout=1.5, _stop=slow.stop: _stop(timeout=timeout)
    supervisor.add(slow)

    def interrupt(*_):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, interrupt)
    try:
        # Ctrl-C twice and a SIGTERM while "slow" is being stopped.
        for delay, signum in ((0.3, signal.SIGINT), (0.6, signal.SIGINT), (0.9, signal.SIGTERM)):
            threading.Timer(delay, os.kill, (os.getpid(), signum)).start()
        old_term = signal.signal(signal.SIGTERM, interrupt)
        try:
            supervisor.stop_all()
            time.sleep(1.2)  # any signal still in flight arrives after the handlers return
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, old_term)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert _gone(slow.process) and _gone(first.process)
    assert "  stopped slow" in said and "  stopped first" in said
    assert sum("still stopping" in line for line in said) >= 2
    assert not (tmp_path / "processes.json").exists()


def test_a_start_stops_what_a_killed_run_left_running(tmp_path):
    pid_file = tmp_path / "processes.json"
    killed_run = RunSupervisor(pid_file, say=lambda _: None)
    leftovers = [
        killed_run.add(ManagedProcess("DynamoDB Local", _spawn(STUBBORN), 0)),
        killed_run.add(ManagedProcess("web", _spawn("import time; time.sleep(600)"), 0)),
    ]
    # The run is killed here: nothing stops its processes.
    stopped = RunSupervisor(pid_file).stop_leftovers(grace_s=1)
    assert sorted(stopped) == ["DynamoDB Local", "web"]
    assert all(_gone(m.process) for m in leftovers)
    assert not pid_file.exists()


def test_a_pid_reused_by_another_process_is_left_alone(tmp_path):
    pid_file = tmp_path / "processes.json"
    bystander = _spawn("import time; time.sleep(600)")
    try:
        # Same pid, another start time: the recorded process is gone and this is not it.
        pid_file.write_text(f'[{{"name": "old", "pid": {bystander.pid}, "started": "1"}}]')
        assert RunSupervisor(pid_file).stop_leftovers(grace_s=1) == []
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


def test_an_unreadable_pid_file_is_ignored(tmp_path):
    pid_file = tmp_path / "processes.json"
    pid_file.write_text("not json")
    assert RunSupervisor(pid_file).stop_leftovers() == []
