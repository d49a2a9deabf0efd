from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from civicgrid.backup.archive import VENDOR_NAMES, BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "Restore a backup made by `civicgrid backup`: the database and the uploaded "
        "files. Stop the server and the workers first. Refused when this installation "
        "already holds data, unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="a backup made by `civicgrid backup`")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace the data this installation holds (all of it) with the backup's",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = restore_backup(options["file"], force=options["force"])
        except BackupError as exc:
            raise CommandError(exc.message) from exc
        # A backup made by an older civicgrid: its tables brought up to this version.
        call_command("migrate", verbosity=0)
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Restored from %(file)s: the %(vendor)s database as backed up at "
                    "%(created)s (civicgrid %(version)s) and %(files)d files."
                )
                % {
                    "file": summary.path,
                    "vendor": VENDOR_NAMES[summary.vendor],
                    "created": summary.created,
                    "version": summary.civicgrid_version,
                    "files": summary.files,
                }
            )
        )
