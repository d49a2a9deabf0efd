"""The demo's window: enterprises, complaints worked and rated, service days, pairings,
all through the actions."""

from __future__ import annotations

import random

import pytest
from django.contrib.auth.hashers import make_password

from civicgrid.cases.models import Channel, State
from civicgrid.enterprise import demo
from civicgrid.enterprise.models import Complaint, Enterprise, Pairing, ServiceDayIssue, Visit
from tests.factories import TreeFixture, make_unit

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_a_year_of_the_window(tree: TreeFixture) -> None:
    from civicgrid.org.models import UnitKind

    make_unit("D01P01", "高新产业园", UnitKind.PARK, tree.streets[0])
    make_unit("D02P01", "物流园", UnitKind.PARK, tree.streets[1])
    password = make_password("civicgrid-demo")
    summary = demo.seed(random.Random(3), enterprises=8, password=password)
    assert summary.enterprises == Enterprise.objects.count() == 8
    assert Complaint.objects.count() == summary.complaints >= 10
    assert set(Complaint.objects.values_list("case__channel", flat=True)) == {Channel.ENTERPRISE}
    assert Complaint.objects.filter(case__state=State.CLOSED, case__rating__isnull=False).exists()
    assert summary.rated > 0
    assert ServiceDayIssue.objects.filter(complaint__isnull=False).exists()
    assert Visit.objects.count() == summary.visits > 0
    # The first park's pairing was handed over: ended, with its visits, and another
    # agency paired since.
    ended = Pairing.objects.get(active=False)
    assert ended.ended_on is not None and ended.visits.exists()
    now = Pairing.objects.get(unit=ended.unit, active=True)
    assert now.agency != ended.agency and now.since == ended.ended_on
    assert summary.pairings == Pairing.objects.count()
    login = Enterprise.objects.first().contacts.get().user  # type: ignore[union-attr]
    assert login.password == password and login.check_password("civicgrid-demo")
