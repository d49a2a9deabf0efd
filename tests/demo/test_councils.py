"""The demo's councils: one in every park, the first merchants' council with its founders
and later members, owners' committees; its two logins land on their council."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.test import Client, RequestFactory

from civicgrid.councils.models import Council, CouncilAction, CouncilKind, CouncilRole
from civicgrid.demo.build import DEMO_PASSWORD, DemoSummary, generate_demo
from civicgrid.demo.councils import FIRST_COUNCIL_FOUNDERS, FIRST_COUNCIL_JOINED
from civicgrid.inputs import credit_code
from civicgrid.org.models import Unit, UnitKind

SCALE = 0.1


@pytest.fixture
def demo(db: None) -> DemoSummary:
    return generate_demo(seed=1, scale=SCALE, classifier=False)


def test_every_park_has_a_council_with_officers(demo: DemoSummary) -> None:
    parks = Unit.objects.filter(kind=UnitKind.PARK)
    councils = Council.objects.filter(kind=CouncilKind.PARK)
    assert parks.exists() and councils.count() == parks.count()
    for council in councils:
        roles = set(council.members.values_list("role", flat=True))
        assert {CouncilRole.CHAIR, CouncilRole.SECRETARY} <= roles, council


def test_the_first_merchants_council_has_its_founders_and_joiners(demo: DemoSummary) -> None:
    assert demo.councils is not None and demo.councils.first_merchants is not None
    council = Council.objects.get(pk=demo.councils.first_merchants)
    merchants = council.members.filter(kind="merchant", role=CouncilRole.MEMBER)
    assert merchants.count() == FIRST_COUNCIL_FOUNDERS + FIRST_COUNCIL_JOINED
    joined_on = sorted(council.members.values_list("joined_on", flat=True))
    assert joined_on[0] == council.founded_on < joined_on[-1]
    # the log holds every joining, in order, dated as it happened
    events = list(council.events.order_by("seq"))
    assert events[0].action == CouncilAction.FOUND
    assert sum(e.action == CouncilAction.JOIN for e in events) == council.members.count()
    assert [e.at for e in events] == sorted(e.at for e in events)


def test_enterprise_members_carry_valid_credit_codes(demo: DemoSummary) -> None:
    codes = [
        code
        for c in Council.objects.filter(kind=CouncilKind.PARK)
        for code in c.members.exclude(credit_code="").values_list("credit_code", flat=True)
    ]
    assert codes and all(credit_code(code) == code for code in codes)


def test_the_council_logins_land_on_their_council(demo: DemoSummary) -> None:
    assert demo.councils is not None
    user = authenticate(
        RequestFactory().post("/login/"), username="council_secretary", password=DEMO_PASSWORD
    )
    assert user is not None
    client = Client()
    client.force_login(user)
    page = client.get("/councils/", follow=True)
    assert page.redirect_chain[-1][0] == f"/councils/{demo.councils.first_merchants}/"
    assert 'id="add-member"' in page.content.decode()


def test_after_the_history_councils_met_scored_and_enterprises_complained(
    demo: DemoSummary,
) -> None:
    from civicgrid.councils.convention_models import ScoringPeriod
    from civicgrid.councils.work_models import Meeting
    from civicgrid.demo.councils import after_history
    from civicgrid.enterprise.models import Complaint

    written = after_history(1)
    assert written["council_meetings"] and written["convention_periods"]
    assert Meeting.objects.filter(council__kind=CouncilKind.MERCHANTS).exists()
    assert Meeting.objects.exclude(council__kind=CouncilKind.MERCHANTS).exists()
    assert ScoringPeriod.objects.filter(state="published").exists()
    assert Complaint.objects.count() == written["window_cases"] > 0
    # every council's log still reads in the order things happened
    for council in Council.objects.all():
        ats = list(council.events.order_by("seq").values_list("at", flat=True))
        assert ats == sorted(ats), council
