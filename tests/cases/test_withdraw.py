"""撤下公开: staff withdraw a case from public view with a reason, and publish it again;
each a transition with its one audited event, refused to those without the right."""

from __future__ import annotations

import pytest
from django.test import Client

from civicgrid.cases import actions
from civicgrid.cases.actions import replay
from civicgrid.cases.models import Case, State
from civicgrid.cases.permissions import allowed_actions
from civicgrid.errors import Conflict, Forbidden, Invalid
from tests.cases.conftest import Staff
from tests.cases.test_lifecycle import assert_log_is_truth, dispatched
from tests.cases.test_permissions import ACTORS
from tests.factories import submit

# Those who answer for the case (owned by community 0): dispatchers and leaders over it.
MAY_WITHDRAW = {"street_dispatcher", "district_dispatcher", "leader"}


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def withdrawn(staff: Staff) -> Case:
    return actions.withdraw_from_public(
        dispatched(staff), actor=staff.district_dispatcher, reason="涉及未成年人隐私"
    )


@pytest.mark.parametrize("action", ["withdraw", "republish"])
def test_who_may_withdraw_and_republish(staff: Staff, action: str) -> None:
    function = {"withdraw": actions.withdraw_from_public, "republish": actions.republish_case}
    allowed, refused = set(), set()
    for name in ACTORS:
        actor = getattr(staff, name)
        case = dispatched(staff) if action == "withdraw" else withdrawn(staff)
        offered = action in allowed_actions(case, actor)
        kwargs = {"reason": "含个人信息"} if action == "withdraw" else {}
        try:
            function[action](case, actor=actor, **kwargs)
        except Forbidden:
            refused.add(name)
            case.refresh_from_db()
            assert not offered, f"{action} offered to {name}, who is then refused"
        else:
            allowed.add(name)
            assert offered, f"{name} may {action} but is not offered the button"
    assert allowed == MAY_WITHDRAW
    assert refused == set(ACTORS) - MAY_WITHDRAW


def test_withdrawal_is_one_audited_event_and_the_log_stays_true(staff: Staff) -> None:
    case = dispatched(staff)
    version, state = case.version, case.state
    case = actions.withdraw_from_public(
        case, actor=staff.street_dispatcher, reason="描述中含有他人住址", expected_version=version
    )
    assert case.withdrawn_from_public_at is not None and case.version == version + 1
    assert case.state == state  # its handling goes on
    event = case.events.get(seq=case.version)
    assert (event.action, event.actor, event.note) == (
        "withdraw",
        staff.street_dispatcher,
        "描述中含有他人住址",
    )
    assert event.from_state == event.to_state == state
    assert_log_is_truth(case)
    assert replay(case.events.order_by("seq")).withdrawn_from_public is True
    assert "withdraw" not in allowed_actions(case, staff.district_dispatcher)
    assert "republish" in allowed_actions(case, staff.district_dispatcher)

    case = actions.republish_case(case, actor=staff.leader, note="已核实可以公开")
    assert case.withdrawn_from_public_at is None
    assert case.events.get(seq=case.version).action == "republish"
    assert replay(case.events.order_by("seq")).withdrawn_from_public is False
    assert_log_is_truth(case)


def test_withdrawal_refusals_change_nothing(staff: Staff) -> None:
    case = dispatched(staff)
    with pytest.raises(Invalid):
        actions.withdraw_from_public(case, actor=staff.district_dispatcher, reason="  ")
    with pytest.raises(Conflict):
        actions.republish_case(case, actor=staff.district_dispatcher)
    with pytest.raises(Conflict):
        actions.withdraw_from_public(
            case, actor=staff.district_dispatcher, reason="重复", expected_version=case.version - 1
        )
    case.refresh_from_db()
    assert case.withdrawn_from_public_at is None and case.events.count() == case.version
    case = actions.withdraw_from_public(case, actor=staff.district_dispatcher, reason="隐私")
    with pytest.raises(Conflict):
        actions.withdraw_from_public(case, actor=staff.district_dispatcher, reason="再次")
    # A closed or rejected case can be withdrawn too: the feed keeps final cases.
    rejected = actions.reject_case(
        submit(staff.tree), actor=staff.district_dispatcher, reason="无效"
    )
    assert rejected.state == State.REJECTED
    actions.withdraw_from_public(rejected, actor=staff.district_dispatcher, reason="含辱骂内容")


def test_the_api_withdraws_and_refuses_in_chinese(staff: Staff) -> None:
    case = dispatched(staff)
    url = f"/api/cases/{case.tracking_code}"
    refused = client_for(staff.grid_worker).post(
        f"{url}/withdraw",
        {"version": case.version, "reason": "不想公开"},
        content_type="application/json",
    )
    assert refused.status_code == 403
    assert refused.json()["detail"] == "只有该工单所属单位或上级单位的调度员、领导可以撤下公开。"
    case.refresh_from_db()
    assert case.withdrawn_from_public_at is None

    dispatcher = client_for(staff.district_dispatcher)
    ok = dispatcher.post(
        f"{url}/withdraw",
        {"version": case.version, "reason": "描述中含有身份证号"},
        content_type="application/json",
    )
    assert ok.status_code == 200, ok.content
    detail = ok.json()
    assert detail["withdrawn_from_public_at"] is not None
    assert detail["events"][-1]["action"] == "withdraw"
    assert detail["events"][-1]["note"] == "描述中含有身份证号"
    assert "republish" in detail["allowed"] and "withdraw" not in detail["allowed"]
    again = dispatcher.post(
        f"{url}/withdraw",
        {"version": detail["version"], "reason": "再次"},
        content_type="application/json",
    )
    assert again.status_code == 409 and again.json()["detail"] == "该工单已撤下公开。"
    back = dispatcher.post(
        f"{url}/republish", {"version": detail["version"]}, content_type="application/json"
    )
    assert back.status_code == 200 and back.json()["withdrawn_from_public_at"] is None

    paths = dispatcher.get("/api/openapi.json").json()["paths"]
    assert "撤下公开" in paths["/api/cases/{code}/withdraw"]["post"]["summary"]
    assert "恢复公开" in paths["/api/cases/{code}/republish"]["post"]["summary"]


def test_the_console_offers_the_button_to_those_who_may(staff: Staff) -> None:
    case = dispatched(staff)
    page = f"/cases/{case.tracking_code}/"
    worker = client_for(staff.grid_worker)
    assert 'data-action="withdraw"' not in worker.get(page).content.decode()
    worker.post(f"{page}withdraw/", {"version": case.version, "note": "不想公开"})
    case.refresh_from_db()
    assert case.withdrawn_from_public_at is None

    dispatcher = client_for(staff.street_dispatcher)
    html = dispatcher.get(page).content.decode()
    assert 'data-action="withdraw"' in html and "撤下公开" in html
    response = dispatcher.post(f"{page}withdraw/", {"version": case.version, "note": "含他人电话"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.withdrawn_from_public_at is not None
    html = dispatcher.get(page).content.decode()
    assert 'id="withdrawn-tag"' in html and 'data-action="republish"' in html
    assert "含他人电话" in html  # the reason, in the timeline
