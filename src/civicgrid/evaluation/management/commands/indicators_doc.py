from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from civicgrid.evaluation.doc import block_of, definitions_markdown, rewrite


class Command(BaseCommand):
    help = "Write the indicators' definitions into docs/indicators.md (between its markers)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", type=Path, help="docs/indicators.md")
        parser.add_argument(
            "--check", action="store_true", help="only say whether the block is current"
        )

    def handle(self, *args: Any, path: Path, check: bool, **options: Any) -> None:
        if check:
            if block_of(path.read_text(encoding="utf-8")) != definitions_markdown():
                raise CommandError(f"{path}: the definitions are stale; run without --check")
            self.stdout.write(f"{path}: current")
            return
        try:
            changed = rewrite(path)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{path}: {'rewritten' if changed else 'already current'}")
