"""dev.py: its help, its arguments, pip kept out of the way, and one Ctrl-C stopping
the server and both workers (a real ``python3 dev.py start`` on a scratch database
with a small demo district); a worker sent SIGTERM in the middle of the demo's history
stopping between two cases, and the history taken up again at the next start."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

from tests.processes import Process, Scratch, free_port, scratch  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parents[1]
SMALL = ("--scale", "0.02")
HISTORY = 5000  # far more than is written before the signal: the history is mid-way
# "A few seconds": on an idle machine about one; on a shared one of two cores, more.
STOPPED_WITHIN_S = 10


def load_dev() -> ModuleType:
    spec = importlib.util.spec_from_file_location("civicgrid_dev_py", ROOT / "dev.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def dev(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "dev.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_help_exits_0_and_names_both_commands() -> None:
    done = dev("--help")
    assert done.returncode == 0, done.stderr
    assert "python3 dev.py start" in done.stdout and "python3 dev.py test" in done.stdout
    start = dev("start", "--help")
    assert start.returncode == 0, start.stderr
    assert "--port" in start.stdout and "--host" in start.stdout


def test_an_unknown_command_or_a_bad_port_is_refused_with_the_usage() -> None:
    done = dev("serve")
    assert done.returncode == 2 and "unknown command: serve" in done.stderr
    assert "python3 dev.py start" in done.stdout
    bad = dev("start", "--port", "80000")
    assert bad.returncode == 2 and "not a port: 80000" in bad.stderr


def test_start_takes_a_port_and_a_host() -> None:
    parser = load_dev().start_parser()
    options = parser.parse_args(["--port", "8123", "--host", "0.0.0.0"])
    assert (options.port, options.host) == (8123, "0.0.0.0")
    defaults = parser.parse_args([])
    assert (defaults.host, defaults.port, defaults.history, defaults.scale) == (
        "127.0.0.1",
        8000,
        20000,
        1.0,
    )
    for bad in (["--port", "0"], ["--port", "x"], ["--scale", "2"], ["--history", "many"]):
        with pytest.raises(SystemExit):
            parser.parse_args(bad)


def test_pips_output_goes_to_a_log_shown_only_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    module = load_dev()
    monkeypatch.setattr(module, "VENV", tmp_path)
    monkeypatch.setattr(module, "PIP_LOG", tmp_path / "pip.log")
    chatty = "print('WARNING: Location x is ignored: it is neither a file'); print('Installed')"
    module._pip([sys.executable, "-c", chatty])
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
    assert "Installed" in (tmp_path / "pip.log").read_text()
    failing = "import sys; print('ERROR: No matching distribution for nothing'); sys.exit(1)"
    with pytest.raises(SystemExit) as stop:
        module._pip([sys.executable, "-c", failing])
    assert "installation failed" in str(stop.value)
    assert "ERROR: No matching distribution for nothing" in capsys.readouterr().err


# --- whole processes ---------------------------------------------------------------


def history_done(db: Scratch) -> int:
    with contextlib.suppress(Exception):  # the table may not exist yet
        rows = db.query("SELECT done FROM demo_historyrun")
        return int(rows[0][0]) if rows else 0
    return 0


def wait_for(what: str, check: object, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.5)
    pytest.fail(f"{what} not within {timeout} s; log:\n{log.read_text(errors='replace')[-3000:]}")


def answers(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def group_members(pgid: int) -> set[int]:
    """The processes of a process group (from /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                fields = stat.rsplit(")", 1)[1].split()
                if int(fields[2]) == pgid and fields[0] != "Z":
                    found.add(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc").exists(), reason="needs /proc to list the processes")
def test_one_ctrl_c_stops_the_server_and_both_workers(scratch: Scratch) -> None:  # noqa: F811
    port = free_port()
    log = scratch.data_dir / "dev-start.log"
    with log.open("wb") as out:
        # Its own session, like a terminal's: Ctrl-C goes to every process of the group.
        start = subprocess.Popen(
            [sys.executable, "dev.py", "start", "--port", str(port), *SMALL],
            cwd=ROOT,
            env=scratch.env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for("the server", lambda: answers(port), 240, log)
        wait_for("the history", lambda: history_done(scratch) > 0, 120, log)
        members = group_members(start.pid) - {start.pid}
        assert len(members) == 3, members  # the server and two workers
        began = time.monotonic()
        os.killpg(start.pid, signal.SIGINT)
        start.wait(15)
        took = time.monotonic() - began
        # A grace of 5 s, then the kill; the margin is for a loaded machine.
        assert took < STOPPED_WITHIN_S, f"{took:.1f} s"
        assert not group_members(start.pid), "a process outlived dev.py"
        assert not answers(port)
        ((done, count, finished),) = scratch.query(
            "SELECT done, count, finished_at FROM demo_historyrun"
        )
        assert 0 < done < count == 20000 and finished is None
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(start.pid, signal.SIGKILL)


def test_the_demo_on_an_empty_directory_and_a_history_stopped_then_resumed(
    scratch: Scratch,  # noqa: F811
) -> None:
    # Nothing migrated: the demo makes its tables first.
    made = scratch.civicgrid("demo", *SMALL, "--history-in-background", str(HISTORY))
    assert made.returncode == 0, made.stderr
    assert "no such table" not in made.stderr
    assert scratch.query("SELECT count(*) FROM org_unit")[0][0] > 100

    worker = Process(scratch, ["worker"], scratch.env(), "worker").start()
    try:
        wait_for("the history", lambda: history_done(scratch) > 0, 120, worker.log)
        assert worker.popen is not None
        began = time.monotonic()
        worker.popen.terminate()
        worker.popen.wait(15)
        took = time.monotonic() - began
        # It ends its case and stops (before: minutes later, with the whole history).
        assert took < STOPPED_WITHIN_S, f"the worker took {took:.1f} s to stop"
    finally:
        worker.kill()
    ((stopped_at, refused),) = scratch.query("SELECT done, refused FROM demo_historyrun")
    assert 0 < stopped_at < HISTORY
    # Each case planned and written is there once; none half-written.
    assert scratch.query("SELECT count(*) FROM cases_case")[0][0] == stopped_at - refused

    # The next start finds it unfinished and queues it again.
    again = scratch.civicgrid("demo", "--if-empty", *SMALL, "--history-in-background", str(HISTORY))
    assert again.returncode == 0, again.stderr
    assert f"{stopped_at}" in again.stdout and f"{HISTORY}" in again.stdout
    ready = scratch.query(
        "SELECT count(*) FROM django_tasks_database_dbtaskresult "
        "WHERE task_path LIKE '%generate_history_task' AND status = 'READY'"
    )
    assert ready[0][0] == 1
    worker = Process(scratch, ["worker"], scratch.env(), "worker2").start()
    try:
        wait_for(
            "the history to go on", lambda: history_done(scratch) > stopped_at, 120, worker.log
        )
    finally:
        worker.stop()
    ((done, refused),) = scratch.query("SELECT done, refused FROM demo_historyrun")
    assert scratch.query("SELECT count(*) FROM cases_case")[0][0] == done - refused
    assert len(scratch.query("SELECT id FROM demo_historyrun")) == 1, "one history, not two"
