from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from civicgrid.councils.models import CouncilMember
from civicgrid.demo.build import DEMO_LOGINS, DEMO_PASSWORD, generate_demo
from civicgrid.demo.councils import COUNCIL_LOGINS
from civicgrid.org.models import Role, Unit
from civicgrid.people.demo import LOGIN as PEOPLE_LOGIN
from civicgrid.people.models import Person
from civicgrid.projects.demo import LOGIN as PROJECTS_LOGIN


def _scale(text: str) -> float:
    value = float(text)
    if not 0 < value <= 1:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = "Generate the demo district (deterministic from the seed): units, grids, staff."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--scale", type=_scale, default=1.0, help="0 < F ≤ 1; 1 is full size")
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing if units exist already"
        )
        parser.add_argument(
            "--history",
            type=int,
            default=0,
            metavar="N",
            help="also make N cases over the last 12 months (through the transitions)",
        )
        parser.add_argument(
            "--history-in-background",
            type=int,
            default=0,
            metavar="N",
            help="leave the N cases of history to the worker (civicgrid worker)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # On an empty data directory there are no tables yet: make them first.
        call_command("migrate", verbosity=0, stdout=self.stdout)
        if Unit.objects.exists():
            if options["if_empty"]:
                self.stdout.write(_("The district exists already; nothing generated."))
                if options["history_in_background"]:
                    self.resume_history()
                self.print_logins()
                return
            raise CommandError(
                _("Units exist already: the demo district goes into an empty database only.")
            )
        generate_demo(options["seed"], options["scale"], progress=self.stdout.write)
        if options["history"]:
            from civicgrid.demo.history import generate_history

            summary = generate_history(
                options["history"], seed=options["seed"], progress=self.stdout.write
            )
            self.stdout.write(f"history: {summary.cases:,} cases {summary.states}")
            from civicgrid.demo.tasks import train_demo_classifier

            version = train_demo_classifier()
            self.stdout.write(f"classifier: v{version} (active)" if version else "no classifier")
            from civicgrid.demo.rankings import publish_past_months

            ranked = publish_past_months(options["seed"])
            self.stdout.write(
                f"rankings: {len(ranked.published)} months published "
                f"({ranked.appeals} appeals, {ranked.upheld} upheld; "
                f"corrected: {', '.join(ranked.corrected) or 'none'})"
            )
        if options["history_in_background"]:
            from civicgrid.demo.tasks import generate_history_task

            generate_history_task.enqueue(options["history_in_background"], options["seed"])
            self.stdout.write(
                _("%(n)s cases of history will be made by the background worker.")
                % {"n": options["history_in_background"]}
            )
        self.print_logins()

    def resume_history(self) -> None:
        from civicgrid.demo.tasks import resume_history

        run = resume_history()
        if run is not None:
            self.stdout.write(
                _(
                    "The demo's history stopped at %(done)s of %(count)s cases: "
                    "the background worker completes it."
                )
                % {"done": run.done, "count": run.count}
            )

    def print_logins(self) -> None:
        self.stdout.write(_("Demo logins (password %(pw)s):") % {"pw": DEMO_PASSWORD})
        units = Unit.objects.filter(
            memberships__user__username__in=[d.username for d in DEMO_LOGINS]
        )
        where = dict(units.values_list("memberships__user__username", "name"))
        for login in DEMO_LOGINS:
            role = Role(login.role).label
            self.stdout.write(f"  {login.username:<20} {role:<8} {where.get(login.username, '')}")
        seats = CouncilMember.objects.filter(
            user__username__in=[c.username for c in COUNCIL_LOGINS], left_on=None
        ).select_related("council", "user")
        for seat in seats:
            role = seat.get_role_display()
            self.stdout.write(f"  {seat.user.username:<20} {role:<8} {seat.council.name}")
        person = (
            Person.objects.filter(user__username=PEOPLE_LOGIN).select_related("home_grid").first()
        )
        if person is not None:
            grid = person.home_grid.name if person.home_grid else ""
            self.stdout.write(f"  {PEOPLE_LOGIN:<20} {_('party member'):<8} {grid}")
        from civicgrid.projects.models import Monitor

        seat = Monitor.objects.filter(user__username=PROJECTS_LOGIN).select_related("project")
        for s in seat.order_by("pk"):
            self.stdout.write(f"  {PROJECTS_LOGIN:<20} {s.get_role_display():<8} {s.project.name}")
