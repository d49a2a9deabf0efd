"""``civicgrid conventions import|export|scores|template``: conventions (公约) and their
scores to and from Excel, through the same functions as the pages and the API (the actor
named with ``--as``: the council's chair or secretary, or staff over it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicgrid.councils import convention_excel as excel
from civicgrid.councils import conventions, scoring
from civicgrid.councils.convention_models import ScoringPeriod
from civicgrid.councils.models import Council
from civicgrid.errors import Refusal
from civicgrid.org.models import User


def _actor(username: str) -> User:
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"No active user {username}.")
    return user


def _council(pk: int) -> Council:
    council = Council.objects.filter(pk=pk).first()
    if council is None:
        raise CommandError(f"No council {pk}.")
    return council


class Command(BaseCommand):
    help = (
        "Conventions (公约): import a council's convention from .xlsx (adopt or amend), "
        "export it, export a scoring period's scores, or add a district template."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        load = commands.add_parser("import", help="a council's convention from a workbook")
        load.add_argument("council", type=int)
        load.add_argument("path")
        load.add_argument("--as", dest="actor", required=True, help="its chair, secretary or staff")
        out = commands.add_parser("export", help="a council's convention as .xlsx")
        out.add_argument("council", type=int)
        out.add_argument("path")
        scores = commands.add_parser("scores", help="a scoring period's scores as .xlsx")
        scores.add_argument("period", type=int)
        scores.add_argument("path")
        template = commands.add_parser("template", help="a district template from a workbook")
        template.add_argument("path")
        template.add_argument("--name", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['command']}")(options)
        except Refusal as refusal:
            raise CommandError(refusal.message) from None

    def _import(self, options: dict[str, Any]) -> None:
        council = _council(options["council"])
        actor = _actor(options["actor"])
        with Path(options["path"]).open("rb") as upload:
            name, terms = excel.read_terms(upload)
        existing = conventions.convention_of(council)
        if existing is None:
            done = scoring.adopt_convention(council, actor=actor, terms=terms.as_json(), name=name)
        else:
            done = scoring.amend_convention(existing, actor=actor, terms=terms.as_json(), name=name)
        self.stdout.write(f"{done.name}: version {done.version}, {terms.total} points")

    def _export(self, options: dict[str, Any]) -> None:
        convention = conventions.convention_of(_council(options["council"]))
        if convention is None:
            raise CommandError("This council has no convention yet.")
        Path(options["path"]).write_bytes(excel.convention_workbook(convention))

    def _scores(self, options: dict[str, Any]) -> None:
        period = (
            ScoringPeriod.objects.select_related("convention").filter(pk=options["period"]).first()
        )
        if period is None:
            raise CommandError(f"No scoring period {options['period']}.")
        Path(options["path"]).write_bytes(excel.period_workbook(period))

    def _template(self, options: dict[str, Any]) -> None:
        with Path(options["path"]).open("rb") as upload:
            _name, terms = excel.read_terms(upload)
        template = scoring.save_template(options["name"], terms)
        self.stdout.write(f"{template.name}: {terms.total} points")
