from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from civicgrid.cases import words


class Command(BaseCommand):
    help = (
        "Write the words of every case that has none, for the words search (after an "
        "upgrade, or to catch up a worker that was stopped); the worker writes new cases' "
        "words on its own. The search reads the cases past the mark by their text."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="only say how many cases are past the mark"
        )
        parser.add_argument("--batch", type=int, default=words.BATCH, help="cases per batch")

    def handle(self, *args: Any, check: bool, batch: int, **options: Any) -> None:
        if not check:
            done = words.write(batches=None, size=max(batch, 1))
            self.stdout.write(f"{done:,} cases' words written")
        self.stdout.write(
            f"{words.not_written():,} cases past the mark, read by their text "
            f"(the mark moves {int(words.MARGIN.total_seconds() // 60)} minutes after the "
            "newest case it saw)"
        )
