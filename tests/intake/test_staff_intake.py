"""The hotline (earlier requests, likely duplicates, merge in one click) and grid patrol
(report; fix on the spot with before/after photos)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from civicgrid.cases import actions
from civicgrid.cases.models import Case, Photo, State
from civicgrid.cases.permissions import allowed_actions
from civicgrid.errors import Forbidden
from civicgrid.org.models import Role
from civicgrid.triage.duplicates import likely_duplicates, similarity
from tests.factories import make_member, submit
from tests.images import image_bytes, upload
from tests.intake.conftest import INSIDE

CALL = {
    "phone": "13612345678",
    "name": "李先生",
    "text": "幸福小区3号楼楼下的垃圾桶满了好几天没人清运，气味很大。",
    "lon": str(INSIDE[0]),
    "lat": str(INSIDE[1]),
}


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_similarity_is_high_for_the_same_matter_and_low_otherwise() -> None:
    a = "幸福小区3号楼楼下的垃圾桶满了，没人清运"
    assert similarity(a, "幸福小区三号楼下垃圾桶满了好几天没人清运") > 0.4
    assert similarity(a, "学校门口早上堵车严重，希望增派交警") < 0.1


def test_duplicates_need_place_text_and_the_last_seven_days(district) -> None:  # type: ignore[no-untyped-def]
    tree, _ = district
    same = submit(tree, text="幸福小区3号楼楼下垃圾桶满了，好几天没人清运，很臭。")
    submit(tree, text="学校门口早上堵车严重，希望增派交警。")  # same grid, other matter
    far = submit(tree, grid_index=12, text="幸福小区3号楼楼下垃圾桶满了，好几天没人清运。")
    old = submit(tree, text="幸福小区3号楼楼下垃圾桶满了，没人清运。")
    Case.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))
    found = likely_duplicates(CALL["text"], lon=INSIDE[0], lat=INSIDE[1], grid_id=same.grid_id)
    assert [d.case for d in found] == [same]
    assert far.pk not in {d.case.pk for d in found}


def test_hotline_shows_earlier_requests_and_merges_in_one_click(district) -> None:  # type: ignore[no-untyped-def]
    tree, _ = district
    operator = make_member(tree.district, Role.OPERATOR)
    first = submit(tree, text=CALL["text"], contact_phone="13612345678")
    client = logged_in(operator)
    assert "热线受理" in client.get("/intake/hotline/").content.decode()
    aside = client.get("/intake/hotline/aside/", CALL).content.decode()
    earlier, duplicates = aside.split('class="duplicates"')
    assert first.tracking_code in earlier, "the caller's earlier request"
    assert f'data-code="{first.tracking_code}"' in duplicates, "and a likely duplicate"
    response = client.post("/intake/hotline/", {**CALL, "merge_into": first.tracking_code})
    assert response.status_code == 302
    new = Case.objects.exclude(pk=first.pk).get()
    assert (new.channel, new.state, new.merged_into) == ("hotline", State.MERGED, first)
    assert [e.action for e in new.events.all()] == ["submit", "merge"]
    assert new.events.first().actor == operator


def test_hotline_refusals(district) -> None:  # type: ignore[no-untyped-def]
    tree, _ = district
    handler = make_member(tree.communities[0], Role.HANDLER)
    assert logged_in(handler).get("/intake/hotline/").status_code == 403
    operator = make_member(tree.district, Role.OPERATOR)
    bad = logged_in(operator).post("/intake/hotline/", {**CALL, "phone": "555"})
    assert bad.status_code == 400 and "不是有效的中国大陆手机号" in bad.content.decode()
    unknown = logged_in(operator).post("/intake/hotline/", {**CALL, "merge_into": "NOPE"})
    assert unknown.status_code == 400
    assert not Case.objects.exists()


def test_patrol_fixes_a_micro_matter_in_one_step(district) -> None:  # type: ignore[no-untyped-def]
    tree, categories = district
    worker = make_member(tree.grids[0], Role.GRID_WORKER)
    category = categories["micro"]
    category.grid_may_self_handle = True
    category.save()
    client = logged_in(worker)
    response = client.post(
        "/intake/patrol/",
        {
            "text": "楼道里堆放纸箱，堵住消防通道。",
            "category": category.code,
            "lon": str(INSIDE[0]),
            "lat": str(INSIDE[1]),
            "fixed": "1",
            "reply": "已联系住户清走纸箱。",
            "before": [upload(image_bytes(), "before.jpg")],
            "after": [upload(image_bytes(), "after.jpg")],
        },
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    case = Case.objects.get()
    assert (case.channel, case.state, case.owner_unit) == ("patrol", State.RESOLVED, tree.grids[0])
    submit_event, fix = case.events.all()
    assert fix.action == "fix_on_the_spot" and fix.actor == worker
    assert len(submit_event.attachments) == len(fix.attachments) == 1
    assert Photo.objects.filter(case=case).count() == 2
    # Someone else verifies the worker's own fix: another worker of the grid, or above.
    assert "verify" not in allowed_actions(case, worker)
    with pytest.raises(Forbidden):
        actions.verify_case(case, actor=worker, passed=True)
    colleague = make_member(tree.grids[0], Role.GRID_WORKER)
    assert actions.verify_case(case, actor=colleague, passed=True).state == State.FOLLOW_UP


def test_patrol_refusals(district) -> None:  # type: ignore[no-untyped-def]
    tree, categories = district
    worker = make_member(tree.grids[0], Role.GRID_WORKER)
    client = logged_in(worker)
    not_micro = client.post(
        "/intake/patrol/",
        {
            "text": "路面塌陷一个大坑。",
            "category": categories["major"].code,
            "lon": str(INSIDE[0]),
            "lat": str(INSIDE[1]),
            "fixed": "1",
            "reply": "已处理",
        },
    )
    assert not_micro.status_code == 400 and "不能由网格自行处置" in not_micro.content.decode()
    other_grid = client.post(
        "/intake/patrol/",
        {"text": "路灯不亮。", "lon": "120.075", "lat": "30.015", "fixed": "1", "reply": "修好了"},
    )
    assert other_grid.status_code == 403
    assert not Case.objects.exists() and not Photo.objects.exists()
    handler = make_member(tree.communities[0], Role.HANDLER)
    assert logged_in(handler).get("/intake/patrol/").status_code == 403
