"""The demo's projects, seeded on the test district through the actions."""

from __future__ import annotations

import random

import pytest

from civicgrid.cases.models import Channel
from civicgrid.projects import demo
from civicgrid.projects.models import (
    Milestone,
    Monitor,
    Observation,
    Project,
    ProjectAction,
    ProjectEvent,
    ProjectState,
)
from tests.factories import TreeFixture

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_projects_with_monitors_and_observations(tree: TreeFixture) -> None:
    summary = demo.seed(random.Random(5), centre_grid=tree.grids[0])
    assert summary.login == "monitor" and summary.projects == Project.objects.count() == 3
    assert Monitor.objects.count() == summary.monitors >= 6
    # One progress monitor moved away: retired, a neighbour recruited in the same role.
    retired = Monitor.objects.get(active=False)
    assert summary.retired == 1 and retired.retired_on is not None
    assert retired.project.monitors.filter(active=True, role=retired.role).exists()
    seats = Monitor.objects.filter(user__username="monitor")
    assert {s.role for s in seats} == {"quality", "progress"}
    assert Observation.objects.count() == summary.observations >= 6
    assert Milestone.objects.exclude(done_on=None).count() == summary.milestones_done > 0
    assert not Project.objects.filter(state=ProjectState.COMPLETED).exists()
    # Every change has its one event, each project's log in time order.
    for project in Project.objects.all():
        ats = list(project.events.order_by("pk").values_list("at", flat=True))
        assert ats == sorted(ats)
        assert 0 < project.percent_done() < 100
    assert ProjectEvent.objects.filter(action=ProjectAction.FILE_OBSERVATION).count() == (
        Observation.objects.count()
    )
    # After the year of cases, the login's problem observation becomes a case.
    assert demo.after_history() == {"project_cases": 1}
    problem = Observation.objects.get(problem=True)
    assert problem.case is not None and problem.case.channel == Channel.PROJECT
    assert problem.monitor.user.username == "monitor"  # type: ignore[union-attr]
    assert demo.after_history() == {"project_cases": 0}  # once only
