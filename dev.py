#!/usr/bin/env python3
"""The two commands of the README, needing only Python 3.11 on a fresh clone.

    python3 dev.py start [--host H] [--port N]
                           install into .venv, build the demo district, serve it at
                           http://127.0.0.1:8000 (with two background workers: deadline
                           sweeps and the demo's history, and new cases' machine readings);
                           one Ctrl-C stops all three
    python3 dev.py test [PYTEST ARGS]
                           install into .venv, run every test on SQLite, then on PostgreSQL

``start`` also takes ``--history N`` (cases in the demo's year, default 20000) and
``--scale F`` (0 < F <= 1, the demo district's size). pip's output goes to
``.venv/pip.log`` and is shown only when an installation fails.

``test`` runs PostgreSQL when a server answers at CIVICGRID_TEST_POSTGRES_URL
(default postgres://postgres@127.0.0.1:5432/civicgrid) and says so when it does
not. Browser tests skip, with the reason, when no Chromium is found, and the tests
of several processes sharing a cache when no Redis answers at CIVICGRID_TEST_REDIS_URL
(default redis://127.0.0.1:6379/0). CIVICGRID_REQUIRE_POSTGRES=1 /
CIVICGRID_REQUIRE_BROWSER=1 / CIVICGRID_REQUIRE_REDIS=1 (set by .ci/run) make those
skips failures. Arguments after ``test`` go to pytest.

For maintainers: ``python3 dev.py messages`` refreshes and compiles the zh-Hans
translations.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/civicgrid"


def say(text: str) -> None:
    print(f"[civicgrid] {text}", flush=True)


PIP_LOG = VENV / "pip.log"
# After Ctrl-C, how long the server and the workers have to stop before they are killed.
STOP_GRACE_S = 5.0


def _pip(args: list[str]) -> None:
    """Run pip (or venv) with its output in .venv/pip.log; show its end only on failure."""
    VENV.mkdir(exist_ok=True)
    with PIP_LOG.open("a", encoding="utf-8") as log:
        log.write(f"\n$ {' '.join(args)}\n")
        log.flush()
        done = subprocess.run(args, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        lines = PIP_LOG.read_text(encoding="utf-8", errors="replace").splitlines()
        shown = [line for line in lines if "is ignored: it is neither" not in line][-40:]
        print("\n".join(shown), file=sys.stderr)
        sys.exit(f"[civicgrid] installation failed (exit {done.returncode}); full log: {PIP_LOG}")


def _stamp_digest(extras: str) -> str:
    target = f".[{extras}]" if extras else "."
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + target.encode()).hexdigest()


def _installed(extras: str) -> bool:
    stamp = VENV / f".installed-{extras or 'base'}"
    return stamp.exists() and stamp.read_text() == _stamp_digest(extras)


def ensure_venv(extras: str = "") -> None:
    """Create .venv and install the project, again only when pyproject.toml changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this file must run on any python3
        sys.exit("civicgrid needs Python 3.11 or newer.")
    if not PY.exists():
        say("creating the virtual environment in .venv")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    # The test extras hold everything the base install does.
    if _installed(extras) or (not extras and _installed("test")):
        return
    target = f".[{extras}]" if extras else "."
    say(f"installing civicgrid{f' [{extras}]' if extras else ''} into .venv (once; log: {PIP_LOG})")
    _pip([str(PY), "-m", "pip", "install", "--disable-pip-version-check", "-q", "-e", target])
    (VENV / f".installed-{extras or 'base'}").write_text(_stamp_digest(extras))


def run_civicgrid(*args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run([str(BIN / "civicgrid"), *args], check=True, cwd=ROOT, env=env)


def _port(text: str) -> int:
    port = int(text)
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"not a port: {text}")
    return port


def _scale(text: str) -> float:
    value = float(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"not in 0 < F <= 1: {text}")
    return value


def start_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python3 dev.py start",
        description="Install into .venv, build the demo district and serve it, with two "
        "background workers. One Ctrl-C stops the server and the workers.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to serve on (127.0.0.1)")
    parser.add_argument("--port", type=_port, default=8000, help="port to serve on (8000)")
    parser.add_argument(
        "--history",
        type=int,
        default=20000,
        metavar="N",
        help="cases in the demo's year, made by the worker (20000)",
    )
    parser.add_argument(
        "--scale", type=_scale, default=1.0, metavar="F", help="the demo district's size (1)"
    )
    return parser


class Stop(Exception):
    """dev.py was sent SIGTERM: stop as after Ctrl-C."""


def _raise_stop(signum: int, frame: object) -> None:
    raise Stop


def stop_all(
    processes: list[subprocess.Popen[bytes]], *, interrupted: bool, grace: float = STOP_GRACE_S
) -> None:
    """Stop every process still running within ``grace`` seconds, then kill those left.

    After a Ctrl-C in the terminal every process of the group has its own SIGINT
    already: they are given a moment to stop by themselves (the history worker ends
    its current case), then asked with SIGTERM. A second Ctrl-C meanwhile kills."""
    deadline = time.monotonic() + grace

    def wait_until(until: float) -> None:
        for process in processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(max(0.0, until - time.monotonic()))

    try:
        if interrupted:
            wait_until(time.monotonic() + min(2.0, grace / 2))
        for process in processes:
            if process.poll() is None:
                process.terminate()
        wait_until(deadline)
    except (KeyboardInterrupt, Stop):
        pass
    for process in processes:
        if process.poll() is None:
            say(f"process {process.pid} did not stop in {grace:.0f} s: killed")
            process.kill()
            process.wait()


def start(args: list[str]) -> int:
    options = start_parser().parse_args(args)
    # SIGTERM (from a service manager, or a test) stops everything as Ctrl-C does. Ctrl-C
    # is ours even when started from a shell that ignores it for background jobs; the
    # children, having no handler of ours, start with the default one again.
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    ensure_venv()
    civicgrid = str(BIN / "civicgrid")
    # The district at once (migrating an empty data directory first); a year of cases
    # filled in by the worker, or the rest of an interrupted one.
    run_civicgrid(
        "demo",
        "--if-empty",
        "--scale",
        str(options.scale),
        "--history-in-background",
        str(options.history),
    )
    processes: list[subprocess.Popen[bytes]] = []
    interrupted = False
    code = 0
    try:
        # Background workers beside the web server: one for the deadline sweeps (and
        # first the history), one for new cases' machine readings, so these never wait.
        for queues in ((), ("--queues", "triage")):
            processes.append(subprocess.Popen([civicgrid, "worker", *queues], cwd=ROOT))
        address = ("--host", options.host, "--port", str(options.port))
        server = subprocess.Popen([civicgrid, "serve", "--no-migrate", *address], cwd=ROOT)
        processes.insert(0, server)
        code = server.wait()
        say(f"the server stopped (exit {code}): stopping the workers")
    except KeyboardInterrupt:
        interrupted = True
        say("stopping the server and the workers")
    except Stop:
        say("stopping the server and the workers")
    finally:
        stop_all(processes, interrupted=interrupted)
    return code


# --- test ------------------------------------------------------------------------


def postgres_url() -> str | None:
    """The PostgreSQL URL to test on, if a server answers there."""
    url = os.environ.get("CIVICGRID_TEST_POSTGRES_URL", DEFAULT_PG_URL)
    probe = (
        "import sys, psycopg, dj_database_url as d\n"
        "c = d.parse(sys.argv[1])\n"
        "psycopg.connect(host=c['HOST'], port=c['PORT'] or 5432, user=c['USER'],"
        " password=c['PASSWORD'] or None, dbname='postgres', connect_timeout=3).close()\n"
    )
    ok = subprocess.run([str(PY), "-c", probe, url], capture_output=True, text=True)
    if ok.returncode != 0:
        say(f"PostgreSQL not reachable at {url}: {ok.stderr.strip().splitlines()[-1:]}")
        return None
    return url


def pytest_run(label: str, env: dict[str, str], extra: list[str]) -> dict[str, int]:
    say(f"running the tests on {label}")
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "junit.xml"
        code = subprocess.run(
            [str(PY), "-m", "pytest", f"--junitxml={report}", *extra], cwd=ROOT, env=env
        ).returncode
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        if report.exists():
            for suite in ET.parse(report).getroot().iter("testsuite"):
                for key in counts:
                    counts[key] += int(suite.get(key, 0))
    counts["exit"] = code
    return counts


def test(extra: list[str]) -> int:
    ensure_venv("test")
    base = {**os.environ, "CIVICGRID_DATA_DIR": str(ROOT / "var" / "test")}
    base.pop("CIVICGRID_DATABASE_URL", None)
    runs: list[tuple[str, dict[str, int]]] = []
    runs.append(("SQLite", pytest_run("SQLite", base, extra)))
    url = postgres_url()
    if url:
        runs.append(
            ("PostgreSQL", pytest_run("PostgreSQL", {**base, "CIVICGRID_DATABASE_URL": url}, extra))
        )

    print()
    failed = 0
    total = {"passed": 0, "failed": 0, "skipped": 0}
    for label, c in runs:
        bad = c["failures"] + c["errors"]
        passed = c["tests"] - bad - c["skipped"]
        total["passed"] += passed
        total["failed"] += bad
        total["skipped"] += c["skipped"]
        state = "ok" if c["exit"] == 0 else f"FAILED (pytest exit {c['exit']})"
        say(f"{label}: {passed} passed, {bad} failed, {c['skipped']} skipped: {state}")
        failed |= c["exit"] != 0
    if not url:
        say("PostgreSQL: not run (no server reachable)")
        if os.environ.get("CIVICGRID_REQUIRE_POSTGRES") == "1":
            say("CIVICGRID_REQUIRE_POSTGRES=1: a run without PostgreSQL fails")
            failed = True
    print(f"total: {total['passed']} passed, {total['failed']} failed, {total['skipped']} skipped")
    return 1 if failed else 0


def messages(_args: list[str]) -> int:
    """For maintainers: refresh the zh-Hans catalogue from the code (needs GNU gettext's
    xgettext), then compile it with polib (no msgfmt needed)."""
    ensure_venv("test")
    package = ROOT / "src" / "civicgrid"
    env = {**os.environ, "CIVICGRID_DATA_DIR": str(ROOT / "var" / "messages")}
    subprocess.run(
        [
            str(BIN / "django-admin"),
            "makemessages",
            "-l",
            "zh_Hans",
            "--no-obsolete",
            "--settings=civicgrid.settings",
            f"--pythonpath={package.parent}",
        ],
        check=True,
        cwd=package,
        env=env,
    )
    compile_script = (
        "import polib, sys\n"
        "po = polib.pofile(sys.argv[1])\n"
        "for e in po.fuzzy_entries():  # msgmerge's guesses: left empty, to be translated\n"
        "    e.msgstr, e.previous_msgid = '', None\n"
        "    e.flags.remove('fuzzy')\n"
        "for e in po:  # a previous msgctxt left without its msgid breaks the next msgmerge\n"
        "    if 'fuzzy' not in e.flags:\n"
        "        e.previous_msgid = e.previous_msgctxt = e.previous_msgid_plural = None\n"
        "po.save()\n"
        "todo = [e.msgid for e in po if not e.translated() and not e.obsolete]\n"
        "po.save_as_mofile(sys.argv[1][:-3] + '.mo')\n"
        "print('untranslated:', todo) if todo else None\n"
    )
    po = package / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    subprocess.run([str(PY), "-c", compile_script, str(po)], check=True)
    return 0


COMMANDS = {"start": start, "test": test, "messages": messages}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] in (["-h"], ["--help"], ["help"]):
        print(__doc__)
        return 0
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)
        if argv:
            print(f"unknown command: {argv[0]}", file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    if rest[:1] == ["--"]:
        rest = rest[1:]
    try:
        return COMMANDS[command](rest)
    except (KeyboardInterrupt, Stop):
        return 130


if __name__ == "__main__":
    sys.exit(main())
