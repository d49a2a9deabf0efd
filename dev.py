#!/usr/bin/env python3
"""The two commands of the README, needing only Python 3.11 on a fresh clone.

    python3 dev.py start   install into .venv, build the demo district, serve http://127.0.0.1:8000
                           (with a background worker for the deadline sweeps)
    python3 dev.py test    install into .venv, run every test on SQLite, then on PostgreSQL

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

import contextlib
import hashlib
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/civicgrid"


def say(text: str) -> None:
    print(f"[civicgrid] {text}", flush=True)


def ensure_venv(extras: str = "") -> None:
    """Create .venv and install the project, again only when pyproject.toml changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this file must run on any python3
        sys.exit("civicgrid needs Python 3.11 or newer.")
    if not PY.exists():
        say("creating the virtual environment in .venv")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    target = f".[{extras}]" if extras else "."
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + target.encode()).hexdigest()
    stamp = VENV / f".installed-{extras or 'base'}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    say(f"installing civicgrid{f' [{extras}]' if extras else ''} into .venv (once)")
    pip = [str(PY), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "-e", target], check=True, cwd=ROOT)
    stamp.write_text(digest)


def run_civicgrid(*args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run([str(BIN / "civicgrid"), *args], check=True, cwd=ROOT, env=env)


def start(args: list[str]) -> int:
    ensure_venv()
    host, port = "127.0.0.1", "8000"
    run_civicgrid("migrate", "--verbosity", "0")
    # The district at once; a year of cases (20,000) filled in by the worker.
    run_civicgrid("demo", "--if-empty", "--history-in-background", "20000")
    # Background workers beside the web server: one for the deadline sweeps (and first
    # the history), one for new cases' machine readings, so these never wait for it.
    workers = [
        subprocess.Popen([str(BIN / "civicgrid"), "worker", *queues], cwd=ROOT)
        for queues in ((), ("--queues", "triage"))
    ]
    try:
        with contextlib.suppress(KeyboardInterrupt):
            run_civicgrid("serve", "--host", host, "--port", port, *args)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(10)
    return 0


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
        "po.save()\n"
        "todo = [e.msgid for e in po if not e.translated() and not e.obsolete]\n"
        "po.save_as_mofile(sys.argv[1][:-3] + '.mo')\n"
        "print('untranslated:', todo) if todo else None\n"
    )
    po = package / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    subprocess.run([str(PY), "-c", compile_script, str(po)], check=True)
    return 0


COMMANDS = {"start": start, "test": test, "messages": messages}


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__)
        return 2
    command, rest = sys.argv[1], sys.argv[2:]
    if rest[:1] == ["--"]:
        rest = rest[1:]
    return COMMANDS[command](rest)


if __name__ == "__main__":
    sys.exit(main())
