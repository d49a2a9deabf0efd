from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from civicgrid.backup.archive import VENDOR_NAMES, BackupError, create_backup


class Command(BaseCommand):
    help = (
        "Back up the database (SQLite through its online backup API, PostgreSQL with "
        "pg_dump) and every uploaded file (photos) into one tar FILE. Safe while the "
        "server and the workers run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the backup to write (replaced if it exists)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = create_backup(options["file"])
        except BackupError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Backup written to %(file)s: the %(vendor)s database and %(files)d "
                    "files, %(mb).1f MB."
                )
                % {
                    "file": summary.path,
                    "vendor": VENDOR_NAMES[summary.vendor],
                    "files": summary.files,
                    "mb": summary.size / 1e6,
                }
            )
        )
