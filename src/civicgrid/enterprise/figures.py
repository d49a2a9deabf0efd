"""The window's three rates (response, resolution, satisfaction) for the rankings page:
the indicators' own definitions and aggregate (``evaluation.indicators``), over the
selection's cases of the channel ``enterprise``, overall and per accountable department
(the department a complaint names, ``Complaint.accountable``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from civicgrid.cases.models import Channel
from civicgrid.evaluation import hours
from civicgrid.evaluation import indicators as ind
from civicgrid.evaluation.selection import Selection
from civicgrid.org.models import Unit

RATES = ("response", "solved", "satisfaction")


@dataclass(frozen=True)
class Line:
    label: str
    figures: ind.Figures

    def rates(self) -> list[tuple[str, ind.Figure]]:
        return [(key, self.figures[key]) for key in RATES]


@dataclass(frozen=True)
class Panel:
    names: list[str]  # the three rates' names, in order
    total: Line
    departments: list[Line]


def panel(selection: Selection, at: datetime | None = None) -> Panel | None:
    """The window's panel for ``selection`` (its period and the viewer's scope): two
    queries, the total (``indicators.total``) and one grouped by accountable department
    (``indicators.tally``), the same counts added the same way. None while the district
    has no window (``window.category``)."""
    from civicgrid.enterprise import window as the_window

    if the_window.category() is None:
        return None
    at = at or timezone.now()
    window = selection.narrowed(channel=Channel.ENTERPRISE)
    total = ind.total(window, at)
    stored = hours.ensure_table(window.period.start, max(window.period.end, timezone.localdate()))
    grouped = ind.tally(
        window.cases(), ind.CASE, at, "window_complaint__accountable_id", stored=stored
    )
    names = dict(Unit.objects.filter(pk__in=[k for k in grouped if k]).values_list("pk", "name"))
    departments = [
        Line(names[pk], ind.figures_of(row))
        for pk, row in sorted(grouped.items(), key=lambda item: names.get(item[0]) or "")
        if pk is not None
    ]
    if None in grouped:
        departments.append(Line("—", ind.figures_of(grouped[None])))
    labels = {i.key: str(i.name) for i in ind.indicators(at)}
    return Panel([labels[key] for key in RATES], Line("", total), departments)
