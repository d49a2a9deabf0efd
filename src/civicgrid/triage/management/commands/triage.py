"""``civicgrid triage``: train, list and activate classifier versions.

civicgrid triage train FILE.csv --text-column 内容 --label-column 类别 [--activate]
civicgrid triage train FILE.xlsx --sheet 1 --text-column … --label-column …
civicgrid triage train --from-cases [--activate]      (the district's closed cases)
civicgrid triage list
civicgrid triage activate N
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicgrid.errors import Refusal
from civicgrid.triage.actions import activate_version, train, training_rows_from_cases
from civicgrid.triage.models import ModelVersion


def read_table(path: Path, sheet: str | None = None) -> list[dict[str, str]]:
    """Rows of a CSV (UTF-8, with or without BOM) or an Excel workbook, by header."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        ws = book[sheet] if sheet and not sheet.isdigit() else book.worksheets[int(sheet or 1) - 1]
        rows = ws.iter_rows(values_only=True)
        header = [str(h or "").strip() for h in next(rows, [])]
        return [
            {h: "" if v is None else str(v) for h, v in zip(header, row, strict=False)}
            for row in rows
        ]
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


class Command(BaseCommand):
    help = "Train, list and activate the triage classifier."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        t = sub.add_parser("train", help="train a new version")
        t.add_argument("file", nargs="?", type=Path, help="CSV or Excel (.xlsx) file")
        t.add_argument("--from-cases", action="store_true", help="train on closed cases")
        t.add_argument("--text-column", default="text")
        t.add_argument("--label-column", default="label", help="category codes")
        t.add_argument("--title-column", default="")
        t.add_argument("--sheet", default=None, help="Excel sheet name or number (1)")
        t.add_argument("--activate", action="store_true")
        sub.add_parser("list", help="the versions and their held-out scores")
        a = sub.add_parser("activate", help="make a version the one intake uses")
        a.add_argument("version", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            for v in ModelVersion.objects.all():
                f1 = v.macro_f1
                self.stdout.write(
                    f"v{v.pk}{' *' if v.active else '  '} {v.created_at:%Y-%m-%d %H:%M} "
                    f"{v.examples} examples, macro-F1 {f1 if f1 is None else round(f1, 3)}, "
                    f"{v.source}"
                )
            return
        if action == "activate":
            version = ModelVersion.objects.filter(pk=options["version"]).first()
            if version is None:
                raise CommandError(f"no version {options['version']}")
            activate_version(version)
            self.stdout.write(self.style.SUCCESS(f"v{version.pk} is active"))
            return
        texts, labels, titles = self._rows(options)
        try:
            version = train(
                texts, labels, titles, source=self._source(options), activate=options["activate"]
            )
        except Refusal as refusal:
            raise CommandError(refusal.message) from None
        ev = version.evaluation
        self.stdout.write(
            self.style.SUCCESS(
                f"v{version.pk}: {version.examples} examples in {version.seconds:.1f} s; "
                f"held-out accuracy {ev['accuracy']:.3f}, macro-F1 {ev['macro_f1']:.3f}"
                + (" (active)" if version.active else "")
            )
        )

    def _source(self, options: dict[str, Any]) -> str:
        return "closed cases" if options["from_cases"] else f"file {options['file'].name}"

    def _rows(self, options: dict[str, Any]) -> tuple[list[str], list[str], list[str] | None]:
        if options["from_cases"]:
            return training_rows_from_cases()
        path: Path | None = options["file"]
        if path is None or not path.exists():
            raise CommandError("give a CSV or Excel file, or --from-cases")
        rows = read_table(path, options["sheet"])
        text_col, label_col = options["text_column"], options["label_column"]
        title_col = options["title_column"]
        if rows and (text_col not in rows[0] or label_col not in rows[0]):
            raise CommandError(
                f"columns {text_col!r} and {label_col!r} needed; the file has {list(rows[0])}"
            )
        rows = [r for r in rows if (r.get(text_col) or "").strip() and (r.get(label_col) or "")]
        texts = [r[text_col] for r in rows]
        labels = [r[label_col].strip() for r in rows]
        titles = [r.get(title_col, "") for r in rows] if title_col else None
        return texts, labels, titles
