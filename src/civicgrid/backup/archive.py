"""Backups: the database and every uploaded file (photos) in one tar file.

A backup FILE is a plain tar (the dump and the photos are compressed already):

    database.sqlite3   SQLite: a copy made with SQLite's online backup API
    database.pgdump    PostgreSQL: pg_dump's custom format
    media/<name>       each file of Django's default storage, by its storage name
    manifest.json      format, database vendor, time, civicgrid and Django versions,
                       the applied migrations, and a SHA-256 of every other member

The database is copied first, the files after: a photo's file is in the storage (in
staging or in its place) by the time its row commits, so every photo row in the copy
has its file in the backup, even while the server runs.

Restoring checks the whole file first (format, vendor, versions, every checksum) and
refuses to replace data it finds unless forced; the database is then replaced in one
transaction (SQLite's backup API into the live database; on PostgreSQL, dropping the
tables and pg_restore's script through psql in one transaction), then the files.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import django
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _

import civicgrid

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA = "media/"
DUMPS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
VENDOR_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; ``message`` is for the person running it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = str(message)


@dataclass(frozen=True)
class Summary:
    path: Path
    vendor: str
    created: str
    civicgrid_version: str
    files: int
    size: int


# --- backup ----------------------------------------------------------------------------


def create_backup(target: Path, *, using: str = "default") -> Summary:
    """Write the database and the stored files to ``target`` (replaced only once the new
    backup is complete: a failed run leaves an older backup there as it was)."""
    connection = connections[using]
    vendor = _supported_vendor(connection)
    target = target.absolute()
    if not target.parent.is_dir():
        raise BackupError(_("The folder %(folder)s does not exist.") % {"folder": target.parent})
    storage = default_storage
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".civicgrid-backup-") as tmp:
        dump = Path(tmp) / DUMPS[vendor]
        migrations = sorted(MigrationRecorder(connection).applied_migrations())
        if vendor == "sqlite":
            _dump_sqlite(connection, dump)
        else:
            _dump_postgresql(connection, dump)
        partial = Path(tmp) / "backup.tar"
        checksums: dict[str, str] = {}
        created = timezone.now()
        with tarfile.open(partial, "w") as tar:
            with dump.open("rb") as f:
                checksums[dump.name] = _add(tar, dump.name, f, dump.stat().st_size, created)
            dump.unlink()  # the space it took is needed no more
            # Twice over the storage: a file moved while it was listed (a photo's file
            # promoted from staging when its row commits) is found at its new place.
            for _listing in range(2):
                for name in stored_files(storage):
                    if MEDIA + name in checksums:
                        continue
                    try:
                        f = storage.open(name, "rb")
                    except FileNotFoundError:
                        continue  # moved since listed: the next listing has it
                    with f:
                        size = storage.size(name)
                        checksums[MEDIA + name] = _add(tar, MEDIA + name, f, size, created)
            manifest = {
                "format": FORMAT,
                "vendor": vendor,
                "created": created.isoformat(),
                "civicgrid_version": civicgrid.__version__,
                "django_version": django.get_version(),
                "host": socket.gethostname(),
                "migrations": [list(m) for m in migrations],
                "checksums": checksums,
            }
            data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            _add(tar, MANIFEST, io.BytesIO(data), len(data), created)
        # The file holds residents' personal data: its owner alone may read it.
        partial.chmod(0o600)
        _fsync(partial)
        os.replace(partial, target)
        _fsync(target.parent)
    return Summary(
        path=target,
        vendor=vendor,
        created=manifest["created"],
        civicgrid_version=civicgrid.__version__,
        files=len(checksums) - 1,
        size=target.stat().st_size,
    )


def stored_files(storage: Storage, path: str = "") -> Iterator[str]:
    """Every file's name in ``storage``, through the storage API (any backend)."""
    try:
        dirs, files = storage.listdir(path)
    except FileNotFoundError:  # the media folder is made with the first upload
        return
    for name in sorted(files):
        yield f"{path}{name}"
    for name in sorted(dirs):
        yield from stored_files(storage, f"{path}{name}/")


def _dump_sqlite(connection: BaseDatabaseWrapper, dump: Path) -> None:
    """SQLite's online backup API: a consistent copy while others read and write."""
    connection.ensure_connection()
    copy = sqlite3.connect(dump)
    try:
        connection.connection.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside
    finally:
        copy.close()


def _dump_postgresql(connection: BaseDatabaseWrapper, dump: Path) -> None:
    command = [_tool("pg_dump"), "--format=custom", "--file", str(dump)]
    result = subprocess.run(
        command, env=_libpq_env(connection), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise _tool_failed("pg_dump", result.stderr)


def _add(tar: tarfile.TarFile, name: str, f: IO[bytes], size: int, when: Any) -> str:
    """Add ``size`` bytes of ``f`` as member ``name``; their SHA-256."""
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = int(when.timestamp())
    hashing = _Hashing(f)
    tar.addfile(info, hashing)
    return hashing.sha256.hexdigest()


class _Hashing:
    """A file that hashes what is read through it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.sha256 = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.sha256.update(data)
        return data


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- restore ---------------------------------------------------------------------------


def restore_backup(source: Path, *, force: bool = False, using: str = "default") -> Summary:
    """Replace the database and the stored files with the backup in ``source``.

    Refused, with nothing changed, when the file is not a complete backup of this
    database vendor by this or an older civicgrid, or when this installation already
    holds data and ``force`` is not given. Run ``migrate`` afterwards (the command
    does) for a backup made by an older civicgrid."""
    connection = connections[using]
    vendor = _supported_vendor(connection)
    storage = default_storage
    try:
        tar = tarfile.open(source, "r:")  # noqa: SIM115 - closed by the with below
    except FileNotFoundError as exc:
        raise BackupError(_("There is no file %(file)s.") % {"file": source}) from exc
    except (tarfile.TarError, IsADirectoryError) as exc:
        raise BackupError(not_a_backup(source)) from exc
    with tar:
        manifest = _read_manifest(tar, source)
        if manifest["vendor"] != vendor:
            raise BackupError(
                _(
                    "This backup is of a %(backup)s database; this civicgrid uses %(here)s. "
                    "A backup can only be restored into the same kind of database."
                )
                % {
                    "backup": VENDOR_NAMES.get(manifest["vendor"], manifest["vendor"]),
                    "here": VENDOR_NAMES[vendor],
                }
            )
        _check_migrations_known(manifest)
        members = _members(tar, manifest, source)
        if not force:
            _refuse_to_replace_data(connection, storage)
        restore_dir = Path(settings.DATA_DIR)
        with tempfile.TemporaryDirectory(dir=restore_dir, prefix=".civicgrid-restore-") as tmp:
            # Every checksum first: a damaged file changes nothing.
            dump = Path(tmp) / DUMPS[vendor]
            for member in members.values():
                extracted = tar.extractfile(member)
                assert extracted is not None  # _members keeps regular files only
                to = dump.open("wb") if member.name == DUMPS[vendor] else None
                try:
                    digest = _copy_hashing(extracted, to)
                finally:
                    if to is not None:
                        to.close()
                if digest != manifest["checksums"][member.name]:
                    raise BackupError(
                        _("The backup file is damaged (%(member)s does not match its checksum).")
                        % {"member": member.name}
                    )
            if vendor == "sqlite":
                _restore_sqlite(connection, dump)
            else:
                _restore_postgresql(connection, dump)
        if force:
            for name in list(stored_files(storage)):
                storage.delete(name)
        files = 0
        for name, member in members.items():
            if not name.startswith(MEDIA):
                continue
            extracted = tar.extractfile(member)
            assert extracted is not None
            stored_name = name[len(MEDIA) :]
            saved = storage.save(stored_name, File(extracted, name=stored_name))
            if saved != stored_name:
                raise BackupError(
                    _("The file %(name)s could not be restored under its own name.")
                    % {"name": stored_name}
                )
            files += 1
    return Summary(
        path=Path(source),
        vendor=vendor,
        created=manifest["created"],
        civicgrid_version=manifest["civicgrid_version"],
        files=files,
        size=Path(source).stat().st_size,
    )


def not_a_backup(source: Path) -> str:
    return _("%(file)s is not a civicgrid backup.") % {"file": source}


def _read_manifest(tar: tarfile.TarFile, source: Path) -> dict[str, Any]:
    try:
        raw = tar.extractfile(MANIFEST)
        manifest = json.loads(raw.read()) if raw is not None else None
    except (KeyError, ValueError, tarfile.TarError) as exc:
        raise BackupError(not_a_backup(source)) from exc
    expected = {"format", "vendor", "created", "civicgrid_version", "migrations", "checksums"}
    if not isinstance(manifest, dict) or not expected <= manifest.keys():
        raise BackupError(not_a_backup(source))
    if manifest["format"] != FORMAT:
        raise BackupError(
            _(
                "This backup has format %(format)s, which this civicgrid cannot read "
                "(it reads format %(ours)s)."
            )
            % {"format": manifest["format"], "ours": FORMAT}
        )
    return manifest


def _check_migrations_known(manifest: dict[str, Any]) -> None:
    """A backup from a newer civicgrid has tables this code does not know."""
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = [f"{app}.{name}" for app, name in manifest["migrations"] if (app, name) not in known]
    if unknown:
        raise BackupError(
            _(
                "This backup was made by a newer civicgrid (%(version)s): this one does not "
                "know its migrations %(migrations)s. Install that version or a later one "
                "to restore it."
            )
            % {"version": manifest["civicgrid_version"], "migrations": ", ".join(unknown[:5])}
        )


def _members(tar: tarfile.TarFile, manifest: dict[str, Any], source: Path) -> dict[str, Any]:
    """The dump and the files, each named by the manifest with its checksum; nothing
    else, and no name that would leave the storage."""
    members = {m.name: m for m in tar.getmembers() if m.name != MANIFEST}
    checksums = manifest["checksums"]
    dump = DUMPS[manifest["vendor"]]
    for name, member in members.items():
        unsafe = name != dump and (
            not name.startswith(MEDIA) or name.startswith(MEDIA + "/") or ".." in name.split("/")
        )
        if unsafe or not member.isfile() or name not in checksums:
            raise BackupError(not_a_backup(source))
    missing = [name for name in checksums if name not in members]
    if missing or dump not in members:
        raise BackupError(
            _("The backup file is incomplete (%(member)s is missing).")
            % {"member": (missing or [dump])[0]}
        )
    return members


def _refuse_to_replace_data(connection: BaseDatabaseWrapper, storage: Storage) -> None:
    held = data_held(connection)
    if held:
        what = _(", ").join(
            _("%(count)d %(name)s") % {"count": count, "name": name} for name, count in held[:4]
        )
        raise BackupError(
            _(
                "This database already holds data (%(what)s). Restoring replaces all of it "
                "with the backup; to do that, run the command again with --force."
            )
            % {"what": what}
        )
    files = sum(1 for _name in stored_files(storage))
    if files:
        raise BackupError(
            _(
                "The file storage already holds %(count)d files (photos). Restoring replaces "
                "them with the backup's; to do that, run the command again with --force."
            )
            % {"count": files}
        )


def data_held(connection: BaseDatabaseWrapper) -> list[tuple[str, int]]:
    """Tables with rows, as (name, rows), leaving out what ``migrate`` itself writes
    (content types, permissions): an installation that only ran ``migrate`` is empty."""
    tables = set(connection.introspection.table_names())
    held = []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if model in (ContentType, Permission) or meta.proxy or not meta.managed:
            continue
        if meta.db_table not in tables:
            continue
        count = model._default_manager.using(connection.alias).count()
        if count:
            held.append((str(meta.verbose_name_plural), count))
    return sorted(held, key=lambda item: -item[1])


def _copy_hashing(source: IO[bytes], to: IO[bytes] | None) -> str:
    sha256 = hashlib.sha256()
    while chunk := source.read(CHUNK):
        sha256.update(chunk)
        if to is not None:
            to.write(chunk)
    return sha256.hexdigest()


def _restore_sqlite(connection: BaseDatabaseWrapper, dump: Path) -> None:
    """The copy into the live database through SQLite's backup API: one write
    transaction, and the database's WAL files stay consistent (a file copy over a
    database in WAL mode would not)."""
    copy = sqlite3.connect(dump)
    try:
        if copy.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError(_("The database in the backup file is damaged."))
        connection.ensure_connection()
        copy.backup(connection.connection)
    except sqlite3.Error as exc:
        message = _("SQLite could not restore the backup: %(error)s") % {"error": exc}
        raise BackupError(message) from exc
    finally:
        copy.close()
        connection.close()


def _restore_postgresql(connection: BaseDatabaseWrapper, dump: Path) -> None:
    """Drop this database's tables and run pg_restore's script, all in one transaction
    through psql: a restore that fails half-way leaves the database as it was."""
    connection.ensure_connection()
    with connection.cursor() as cursor:
        views = connection.introspection.table_names(cursor, include_views=True)
        tables = connection.introspection.table_names(cursor)
    views = [v for v in views if v not in set(tables)]
    quote = connection.ops.quote_name
    # Waiting on a running server's locks would look like a hang: fail instead.
    drop = ["SET lock_timeout = '20s';"]
    if views:
        drop.append(f"DROP VIEW IF EXISTS {', '.join(map(quote, views))} CASCADE;")
    if tables:
        drop.append(f"DROP TABLE IF EXISTS {', '.join(map(quote, tables))} CASCADE;")
    env = _libpq_env(connection)
    connection.close()
    with tempfile.TemporaryFile() as restore_err, tempfile.TemporaryFile() as psql_err:
        script = subprocess.Popen(
            [_tool("pg_restore"), "--no-owner", "--no-acl", "--file=-", str(dump)],
            stdout=subprocess.PIPE,
            stderr=restore_err,
            env=env,
        )
        psql = subprocess.Popen(
            [_tool("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=psql_err,
            env=env,
        )
        assert script.stdout is not None and psql.stdin is not None
        try:
            psql.stdin.write(("\n".join(drop) + "\n").encode())
            shutil.copyfileobj(script.stdout, psql.stdin, CHUNK)
        except BrokenPipeError:
            pass  # psql stopped at an error: its own message says which
        finally:
            psql.stdin.close()
            script.stdout.close()
        script_code, psql_code = script.wait(), psql.wait()
        if script_code != 0:
            restore_err.seek(0)
            raise _tool_failed("pg_restore", restore_err.read().decode(errors="replace"))
        if psql_code != 0:
            psql_err.seek(0)
            raise _tool_failed("psql", psql_err.read().decode(errors="replace"))


# --- shared ----------------------------------------------------------------------------


def _supported_vendor(connection: BaseDatabaseWrapper) -> str:
    if connection.vendor not in DUMPS:
        raise BackupError(
            _("Backups support SQLite and PostgreSQL, not %(vendor)s.")
            % {"vendor": connection.vendor}
        )
    return connection.vendor


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            _("%(tool)s (PostgreSQL's client tools) is not installed or not on PATH.")
            % {"tool": name}
        )
    return path


def _tool_failed(name: str, stderr: str) -> BackupError:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return BackupError(
        _("%(tool)s failed: %(error)s") % {"tool": name, "error": " ".join(lines[-3:])}
    )


def _libpq_env(connection: BaseDatabaseWrapper) -> dict[str, str]:
    """The connection's settings as libpq's environment variables, for pg_dump,
    pg_restore and psql (a password never on a command line)."""
    config = connection.settings_dict
    env = dict(os.environ)
    for key, variable in [
        ("NAME", "PGDATABASE"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
    ]:
        if config.get(key):
            env[variable] = str(config[key])
    options = config.get("OPTIONS") or {}
    for key, variable in [
        ("sslmode", "PGSSLMODE"),
        ("sslrootcert", "PGSSLROOTCERT"),
        ("sslcert", "PGSSLCERT"),
        ("sslkey", "PGSSLKEY"),
    ]:
        if options.get(key):
            env[variable] = str(options[key])
    return env
