"""The demo's past meetings and problems: written through the council's actions at their
days, the council's log in time order, some items and problems cases, some of those
closed through the normal loop and shown done."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from civicgrid.cases import clock
from civicgrid.cases.models import Case, Channel
from civicgrid.cases.models import State as CaseState
from civicgrid.councils import demo_meetings
from civicgrid.councils.models import ActionItem, Meeting, Problem
from civicgrid.councils.work_models import ItemState, MeetingState, ProblemState
from tests.councils.loop import make_loop
from tests.factories import TreeFixture, make_council

pytestmark = pytest.mark.django_db


def test_seed_writes_past_meetings_items_problems_and_closed_cases(tree: TreeFixture) -> None:
    make_loop(tree)  # the district's and the community's staff, and categories
    with clock.at(timezone.now() - timedelta(days=300)):
        councils = [make_council(tree.communities[0]), make_council(tree.communities[1])]
    summary = demo_meetings.seed(
        [c.council for c in councils], random.Random(7), meetings_per_council=(3, 4)
    )
    assert summary.meetings == Meeting.objects.count() >= 6
    assert set(Meeting.objects.values_list("state", flat=True)) == {MeetingState.CLOSED}
    assert (
        summary.items == ActionItem.objects.count() and summary.problems == Problem.objects.count()
    )
    assert Case.objects.filter(channel=Channel.COUNCIL).count() == summary.cases > 0
    closed = Case.objects.filter(channel=Channel.COUNCIL, state=CaseState.CLOSED).count()
    assert closed == summary.cases_closed > 0
    shown = {i.shown_state for i in ActionItem.objects.select_related("case")}
    shown |= {p.shown_state for p in Problem.objects.select_related("case")}
    assert ItemState.DONE in shown
    assert {ProblemState.RAISED, ProblemState.HANDLING, ProblemState.SOLVED} & shown
    now = timezone.now()
    for fixture in councils:
        events = list(fixture.council.events.order_by("seq"))
        assert [e.at for e in events] == sorted(e.at for e in events)
        assert events[-1].at < now
