"""civicgrid run as its own processes (`serve`, `worker`, `backup`, `restore`, …) for
tests of what only whole processes show: a proxy in front, several servers sharing a
cache, SIGKILL and restart, a backup restored elsewhere.

Each test gets a scratch database of the vendor the suite runs on: an SQLite file in
its temporary folder, or a PostgreSQL database named after the configured one
(``<name>_scratch_<pid>_<n>``), dropped afterwards. The processes migrate it
themselves; the test reads it back with the plain driver.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dj_database_url
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
_numbers = itertools.count(1)


@dataclass
class Scratch:
    """A scratch database with its own data folder (secret key, media)."""

    url: str
    vendor: str
    data_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self, **extra: str) -> dict[str, str]:
        env = {**os.environ, **self.extra_env, **extra}
        env["CIVICGRID_DATABASE_URL"] = self.url
        env["CIVICGRID_DATA_DIR"] = str(self.data_dir)
        env.pop("DJANGO_SETTINGS_MODULE", None)
        return env

    def civicgrid(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        """``civicgrid ARGS`` to its end; its exit code, output and errors."""
        return subprocess.run(
            [sys.executable, "-m", "civicgrid", *args],
            cwd=ROOT,  # so that ``tests`` is importable by shell scripts
            env=env or self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def shell(self, code: str) -> str:
        """Python run by ``civicgrid shell`` (Django set up on this database)."""
        done = self.civicgrid("shell", "-c", code)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.vendor == "sqlite":
            db = sqlite3.connect(self.url.removeprefix("sqlite:///"))
            try:
                return db.execute(sql).fetchall()
            finally:
                db.close()
        with _pg_connect(self.url) as db:
            return db.execute(sql).fetchall()

    def scalar(self, sql: str) -> Any:
        return self.query(sql)[0][0]

    def tables(self) -> list[str]:
        if self.vendor == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        else:
            sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        return [name for (name,) in self.query(sql)]

    def contents(self) -> dict[str, list[str]]:
        """Every table's rows (sorted, each as its repr), and on PostgreSQL every
        sequence's position: what a restore must give back exactly."""
        everything = {
            t: sorted(map(repr, self.query(f'SELECT * FROM "{t}"'))) for t in self.tables()
        }
        if self.vendor == "postgresql":
            everything["<sequences>"] = sorted(
                map(repr, self.query("SELECT sequencename, last_value FROM pg_sequences"))
            )
        return everything


def _pg_connect(url: str):  # type: ignore[no-untyped-def]
    import psycopg

    c = dj_database_url.parse(url)
    return psycopg.connect(
        host=c["HOST"] or None,
        port=c["PORT"] or 5432,
        user=c["USER"] or None,
        password=c["PASSWORD"] or None,
        dbname=c["NAME"],
        autocommit=True,
    )


def _pg_admin_url(name: str) -> str:
    c = dj_database_url.parse(os.environ["CIVICGRID_DATABASE_URL"])
    auth = c["USER"] + (f":{c['PASSWORD']}" if c["PASSWORD"] else "")
    return f"postgres://{auth}@{c['HOST'] or '127.0.0.1'}:{c['PORT'] or 5432}/{name}"


def make_scratch(tmp_path: Path, label: str = "db") -> Scratch:
    """A new, empty database of the vendor under test (nothing migrated)."""
    data_dir = tmp_path / f"data-{label}"
    data_dir.mkdir()
    if connection.vendor == "sqlite":
        return Scratch(f"sqlite:///{tmp_path / label}.sqlite3", "sqlite", data_dir)
    base = dj_database_url.parse(os.environ["CIVICGRID_DATABASE_URL"])["NAME"]
    name = f"{base}_scratch_{os.getpid()}_{next(_numbers)}"
    with _pg_connect(_pg_admin_url("postgres")) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    return Scratch(_pg_admin_url(name), "postgresql", data_dir)


def drop_scratch(scratch: Scratch) -> None:
    if scratch.vendor == "postgresql":
        name = dj_database_url.parse(scratch.url)["NAME"]
        with _pg_connect(_pg_admin_url("postgres")) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Scratch]:
    db = make_scratch(tmp_path)
    try:
        yield db
    finally:
        drop_scratch(db)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    """One civicgrid process in the background, its output in a log file."""

    def __init__(self, scratch: Scratch, args: list[str], env: dict[str, str], name: str) -> None:
        self.args, self.env = args, env
        self.log = scratch.data_dir / f"{name}.log"
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        with self.log.open("ab") as log:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "civicgrid", *self.args],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self

    def kill(self) -> None:
        """SIGKILL: no cleanup, no rollback by the process itself."""
        if self.popen and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(10)

    def stop(self) -> None:
        if self.popen and self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


class Server(Process):
    """``civicgrid serve`` on a free port; ``start`` returns once it takes connections."""

    def __init__(
        self, scratch: Scratch, *, env: dict[str, str] | None = None, name: str = "serve"
    ) -> None:
        self.port = free_port()
        args = ["serve", "--port", str(self.port), "--threads", "4"]
        super().__init__(scratch, args, env or scratch.env(), name)

    def start(self, timeout: float = 120) -> Server:
        super().start()
        give_up = time.monotonic() + timeout
        while time.monotonic() < give_up:
            assert self.popen is not None
            if self.popen.poll() is not None:
                raise AssertionError(f"civicgrid serve ended at start:\n{self.output()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"civicgrid serve did not listen in {timeout} s:\n{self.output()}")

    def request(
        self,
        method: str,
        path: str,
        body: bytes | str | dict | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30,
        source: str | None = None,
    ) -> Response:
        """One request on a new connection (a killed server raises OSError), from the
        loopback address ``source`` if given (127.0.0.2: not the proxy)."""
        headers = dict(headers or {})
        if isinstance(body, dict):
            body = json.dumps(body, ensure_ascii=False)
            headers.setdefault("Content-Type", "application/json")
        if isinstance(body, str):
            body = body.encode()
        conn = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=timeout, source_address=(source, 0) if source else None
        )
        try:
            conn.request(method, path, body, headers)
            answer = conn.getresponse()
            return Response(answer.status, answer.getheaders(), answer.read())
        finally:
            conn.close()


@dataclass
class Response:
    status: int
    header_list: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.header_list:
            if key.lower() == name.lower():
                return value
        return None

    def cookies(self) -> dict[str, str]:
        """Set-Cookie lines by cookie name (the whole line, attributes included)."""
        lines = [v for k, v in self.header_list if k.lower() == "set-cookie"]
        return {line.split("=", 1)[0]: line for line in lines}

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")
