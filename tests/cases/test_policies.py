"""Deadline policies are edited by the district in the admin: a limit that would put
every deadline in the past is refused there, with a message, and nothing is saved."""

from __future__ import annotations

import pytest
from django.test import Client

from civicgrid.cases.models import DeadlinePolicy
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("resolve", ["0", "-1 00:00:00", "00:00:30"])
def test_admin_refuses_a_limit_under_a_minute(resolve: str) -> None:
    client = Client()
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    before = DeadlinePolicy.objects.count()
    response = client.post(
        "/admin/cases/deadlinepolicy/add/",
        {
            "urgency": "urgent",
            "acknowledge": "01:00:00",
            "check_in": "02:00:00",
            "resolve": resolve,
            "follow_up": "1 00:00:00",
            "working_time": "on",
        },
    )
    assert response.status_code == 200, "the form comes back instead of saving"
    assert "时限至少为一分钟" in response.content.decode()
    assert DeadlinePolicy.objects.count() == before


def test_admin_saves_a_sensible_policy() -> None:
    client = Client()
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    response = client.post(
        "/admin/cases/deadlinepolicy/add/",
        {
            "urgency": "urgent",
            "acknowledge": "01:00:00",
            "check_in": "02:00:00",
            "resolve": "2 00:00:00",
            "follow_up": "1 00:00:00",
            "working_time": "on",
        },
    )
    assert response.status_code == 302
    assert DeadlinePolicy.objects.filter(category=None, urgency="urgent").exists()
