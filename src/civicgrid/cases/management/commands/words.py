from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

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
        left = words.not_written()
        line = f"{left:,} cases past the mark, read by their text"
        moves = words.mark_moves_at()
        if left and moves is not None:
            local = timezone.localtime(moves).strftime("%Y-%m-%d %H:%M")
            line += f" until the worker's first run from {local} moves the mark"
        self.stdout.write(line)
