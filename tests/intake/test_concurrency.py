"""The same Idempotency-Key from several clients at the same moment: one case."""

from __future__ import annotations

import pytest

from civicgrid.cases.models import Case, CaseEvent
from civicgrid.intake.actions import IntakeRequest, receive_once
from civicgrid.intake.models import IdempotencyKey
from tests.cases.test_concurrency import postgres, race  # noqa: F401 (fixture)
from tests.factories import make_tree
from tests.intake.conftest import INSIDE

pytestmark = pytest.mark.postgres_only


def test_one_key_at_once_makes_one_case(postgres) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    make_tree()
    request = IntakeRequest(
        text="小区门口的井盖松动了，车压过去响。", lon=INSIDE[0], lat=INSIDE[1], phone="13800000000"
    )
    results = race(4, lambda i: receive_once("same-key", request, channel="api"))
    cases = {case.pk for case, _created in results}  # type: ignore[misc]
    created = [made for _case, made in results]  # type: ignore[misc]
    assert len(cases) == 1 and created.count(True) == 1, results
    assert Case.objects.count() == 1 and CaseEvent.objects.count() == 1
    assert IdempotencyKey.objects.count() == 1
