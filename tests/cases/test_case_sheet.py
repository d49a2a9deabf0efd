"""The printable case sheet (工单, /cases/<code>/sheet/): the case, its history and the
signature lines; the phone masked unless the viewer may know the resident (then whole,
and the reveal logged); nothing for those who may not see the case."""

from __future__ import annotations

from django.test import Client

from civicgrid.cases import actions
from civicgrid.cases.models import ContactReveal
from tests.cases.conftest import Staff
from tests.cases.test_lifecycle import dispatched


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_the_sheet_shows_the_case_its_history_and_signature_lines(staff: Staff) -> None:
    case = dispatched(staff, "minor", contact_phone="13812345678")
    case = actions.acknowledge_case(case, actor=staff.community_handler, note="马上去看")
    response = _client(staff.community_handler).get(f"/cases/{case.tracking_code}/sheet/")
    assert response.status_code == 200
    html = response.content.decode()
    assert case.tracking_code in html and case.title in html and "工单" in html
    for step in ("受理", "分类", "派单", "签收", "马上去看"):
        assert step in html, step
    assert "承办人（签字）" in html and "审核人（签字）" in html
    assert "138****5678" in html and "13812345678" not in html, "masked for a handler"
    assert not ContactReveal.objects.exists()
    page = _client(staff.community_handler).get(f"/cases/{case.tracking_code}/").content.decode()
    assert f'href="/cases/{case.tracking_code}/sheet/"' in page, "linked from the case page"


def test_a_dispatcher_prints_the_whole_number_and_the_reveal_is_logged(staff: Staff) -> None:
    case = dispatched(staff, "minor", contact_phone="13812345678")
    html = _client(staff.district_dispatcher).get(f"/cases/{case.tracking_code}/sheet/")
    assert "13812345678" in html.content.decode()
    reveal = ContactReveal.objects.get()
    assert reveal.user == staff.district_dispatcher and "打印" in reveal.reason


def test_no_sheet_of_a_case_one_may_not_see(staff: Staff) -> None:
    case = dispatched(staff, "minor")
    assert (
        _client(staff.other_community_handler)
        .get(f"/cases/{case.tracking_code}/sheet/")
        .status_code
        == 404
    )
    assert Client().get(f"/cases/{case.tracking_code}/sheet/").status_code == 302
