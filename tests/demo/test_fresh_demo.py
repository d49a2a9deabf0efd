"""A fresh demo as a district sees it first: a classifier reads the first request, the
map opens on the demo logins' units, the hot-issue board finds the bursts, and the
console says how far the history has come. Small scales, for speed."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
import shapely
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from shapely.geometry import shape

from civicgrid.cases.models import Case
from civicgrid.demo.build import generate_demo
from civicgrid.geo.models import Boundary
from civicgrid.org.models import STREET_KINDS, Unit, UnitKind, User
from civicgrid.triage.models import ModelVersion, Suggestion

pytestmark = pytest.mark.django_db


def test_a_request_right_after_the_demo_gets_the_classifiers_reading() -> None:
    from civicgrid.intake.actions import IntakeRequest, receive
    from civicgrid.triage.tasks import suggest_case

    summary = generate_demo(seed=1, scale=0.03)
    version = ModelVersion.objects.get(active=True)
    assert summary.classifier == version.pk and version.source == "demo: generated requests"
    assert version.evaluation["macro_f1"] > 0.9 and len(version.labels) == 63
    # A resident's own words (not the generator's), sent at once.
    case = receive(
        IntakeRequest(
            title="晚上路灯全黑",
            text="我们小区北门外那条路上的路灯已经一个礼拜不亮了，晚上走路很害怕。",
            phone="13900001111",
        ),
        channel="web",
    )
    suggest_case.call(case.tracking_code)
    suggestion = Suggestion.objects.get(case=case)
    assert suggestion.model_id == version.pk
    assert suggestion.category is not None and suggestion.category.name == "路灯不亮"
    assert suggestion.confidence > 0


def _centre_of_the_resident_map() -> shapely.Point:
    """The resident site fits its map to the streets' outlines: their bounds' middle."""
    rows = Boundary.objects.filter(unit__kind__in=STREET_KINDS).values_list("geometry", flat=True)
    x0, y0, x1, y1 = shapely.union_all([shape(g) for g in rows]).bounds
    return shapely.Point((x0 + x1) / 2, (y0 + y1) / 2)


@pytest.mark.parametrize("scale", [0.03, 0.2])
def test_the_map_centre_lies_in_the_demo_logins_units(scale: float) -> None:
    from civicgrid.geo.locator import locate

    generate_demo(seed=1, scale=scale, classifier=False)
    centre = _centre_of_the_resident_map()
    for username in ("street_dispatcher", "community_handler", "grid_worker", "volunteer"):
        unit = Unit.objects.get(memberships__user__username=username)
        assert shape(unit.boundary.geometry).contains(centre), username
    # So a resident's tap there is the demo handler's case: it sees it.
    where = locate(centre.x, centre.y)
    handler = Unit.objects.get(memberships__user__username="community_handler")
    assert Unit.objects.get(pk=where.grid_id).parent_id == handler.pk
    assert handler.kind in (UnitKind.COMMUNITY, UnitKind.VILLAGE, UnitKind.PARK)


def test_the_bursts_lead_the_hot_issue_board_with_real_growth() -> None:
    from civicgrid.demo.history import generate_history
    from civicgrid.triage.boards import clusters_of

    generate_demo(seed=1, scale=0.1, classifier=False)
    summary = generate_history(300, seed=1)
    assert set(summary.bursts) == {"construction", "water_main", "grill"}
    board = clusters_of(Unit.objects.get(kind=UnitKind.DISTRICT), 30, timezone.now())
    top = board[:5]
    burst_codes = {
        key: {c.tracking_code for c in Case.objects.filter(title__contains=word)}
        for key, word in (("construction", "工地"), ("water_main", "水管"), ("grill", "烧烤"))
    }
    found = {}
    for key, codes in burst_codes.items():
        found[key] = next((c for c in top if len(set(c["codes"]) & codes) >= 3), None)
        assert found[key] is not None, (key, [(c["title"], c["size"]) for c in top])
    # A water main burst days ago is all new; the building site's month is rising.
    assert found["water_main"]["growth"] == 1.0
    assert 0 < found["construction"]["growth"] < 1
    assert len({c["growth"] for c in board}) > 1, "not every cluster reads 1.0"
    # One burst lies in the demo logins' community: the demo street's board has it first.
    street = Unit.objects.get(memberships__user__username="street_dispatcher")
    (first, *_rest) = clusters_of(street, 30, timezone.now())
    assert set(first["codes"]) <= burst_codes["construction"] and first["size"] >= 10


def test_the_console_home_shows_how_far_the_history_has_come() -> None:
    from django_tasks_db.models import DBTaskResult

    from civicgrid.demo.tasks import history_progress

    call_command("demo", "--scale", "0.02", "--history-in-background", "25", stdout=StringIO())
    assert history_progress() == (0, 25)
    dispatcher, handler = Client(), Client()
    dispatcher.force_login(User.objects.get(username="district_dispatcher"))
    handler.force_login(User.objects.get(username="community_handler"))
    page = dispatcher.get("/").content.decode()
    assert 'id="demo-history"' in page and "0/25" in page
    assert 'id="demo-history"' not in handler.get("/").content.decode()

    from civicgrid.demo.tasks import generate_history_task

    task = DBTaskResult.objects.get(task_path="civicgrid.demo.tasks.generate_history_task")
    # Started a minute from now: whatever moments the history draws lie before it.
    started = timezone.now() + timedelta(minutes=1)
    DBTaskResult.objects.filter(pk=task.pk).update(status="RUNNING", started_at=started)
    result = generate_history_task.call(25, 1)
    assert result["cases"] == 25
    assert history_progress() == (25, 25)
    DBTaskResult.objects.filter(pk=task.pk).update(status="SUCCESSFUL")
    assert history_progress() is None
    assert 'id="demo-history"' not in dispatcher.get("/").content.decode()
