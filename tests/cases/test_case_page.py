"""The console's case page: the triage form's category list, and what the page costs."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from civicgrid.cases.models import Case, Category, State
from tests.cases.conftest import Staff
from tests.factories import submit


def _page_queries(client: Client, case: Case) -> int:
    client.get(f"/cases/{case.tracking_code}/")  # warm the session and the scope
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/cases/{case.tracking_code}/")
    assert response.status_code == 200
    return len(queries)


def test_the_triage_form_costs_the_same_whatever_the_number_of_categories(
    staff: Staff,
) -> None:
    case = submit(staff.tree)
    client = Client()
    client.force_login(staff.district_dispatcher)
    before = _page_queries(client, case)
    top = Category.objects.create(code="MORE", name="更多大类")
    for i in range(20):
        Category.objects.create(code=f"MORE{i}", name=f"小类{i}", parent=top)
    assert _page_queries(client, case) == before, "a query per category in the select"


def test_the_category_starts_at_please_choose_and_nothing_is_saved_without_one(
    staff: Staff,
) -> None:
    case = submit(staff.tree)
    client = Client()
    client.force_login(staff.district_dispatcher)
    page = client.get(f"/cases/{case.tracking_code}/").content.decode()
    select = page[page.index('<select name="category"') :]
    first_option = select[select.index("<option") : select.index("</option>")]
    assert 'value=""' in first_option and "请选择" in first_option
    assert "selected" not in select[: select.index("</select>")]
    refused = client.post(
        f"/cases/{case.tracking_code}/triage/",
        {"category": "", "urgency": "normal", "tier": "minor"},
        follow=True,
    )
    assert "请选择事项类别" in refused.content.decode()
    case.refresh_from_db()
    assert case.state == State.SUBMITTED and case.category is None and case.version == 1
