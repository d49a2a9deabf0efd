"""The resident site: submit with a photo, track by code + last four digits, rate."""

from __future__ import annotations

import pytest
from django.test import Client

from civicgrid.cases import actions
from civicgrid.cases.models import Case, Photo, State, Urgency
from civicgrid.intake.models import Place
from civicgrid.org.models import Role
from tests.factories import make_member
from tests.images import image_bytes, upload
from tests.intake.conftest import INSIDE, OUTSIDE

FORM = {
    "text": "幸福小区东门口的路灯坏了一周，晚上很黑，老人出门不方便。",
    "lon": str(INSIDE[0]),
    "lat": str(INSIDE[1]),
    "phone": "138 1234 5678",
    "name": "王女士",
    "hide_identity": "1",
}


def submitted(client: Client, **change: object) -> Case:
    response = client.post("/r/", {**FORM, **change})
    assert response.status_code == 302, response.content.decode()[:2000]
    return Case.objects.get(tracking_code=response["Location"].rstrip("/").rsplit("/", 1)[-1])


def test_submit_with_a_photo_gives_a_tracking_code(district) -> None:  # type: ignore[no-untyped-def]
    tree, _ = district
    client = Client()
    assert "让系统判断" in client.get("/r/").content.decode()
    case = submitted(client, photos=[upload(image_bytes(gps=True), "现场.jpg")])
    assert case.channel == "web" and case.grid == tree.grids[0]
    assert case.contact.phone == "13812345678" and case.contact.hide_identity
    assert Photo.objects.filter(case=case).count() == 1
    assert case.events.get(action="submit").attachments == [Photo.objects.get().name]
    page = client.get(f"/r/done/{case.tracking_code}/").content.decode()
    assert case.tracking_code in page


def test_a_place_from_the_gazetteer_locates_the_request(district) -> None:  # type: ignore[no-untyped-def]
    tree, _ = district
    place = Place.objects.create(
        name="幸福花园", kind="estate", lon=120.015, lat=30.015, community=tree.communities[0]
    )
    case = submitted(Client(), lon="", lat="", place=str(place.pk))
    assert case.grid == tree.grids[3] and case.address == "幸福花园"


@pytest.mark.parametrize(
    "change,message",
    [
        ({"lon": str(OUTSIDE[0]), "lat": str(OUTSIDE[1])}, "不在本区范围内"),
        ({"lon": "abc"}, "不是一对数字"),
        ({"text": ""}, "请描述"),
        ({"phone": "1234"}, "不是有效的中国大陆手机号"),
        ({"category": "XX"}, "未知的事项类别"),
        ({"photos": [upload(b"GIF89a fake", "a.jpg")]}, "不是 JPEG、PNG 或 WebP 图片"),
    ],
)
def test_the_form_comes_back_with_the_reason_and_what_was_typed(district, change, message) -> None:  # type: ignore[no-untyped-def]
    response = Client().post("/r/", {**FORM, **change})
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and "王女士" in page, "the resident's input is kept"
    assert not Case.objects.exists() and not Photo.objects.exists()


def test_csrf_is_enforced_on_the_form(district) -> None:  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=True)
    assert client.post("/r/", FORM).status_code == 403
    assert not Case.objects.exists()


def test_tracking_needs_the_code_and_the_phone(district) -> None:  # type: ignore[no-untyped-def]
    case = submitted(Client())
    stranger = Client()
    assert stranger.get(f"/r/track/{case.tracking_code}/").status_code == 404
    wrong = stranger.post("/r/track/", {"code": case.tracking_code, "last4": "0000"})
    unknown = stranger.post("/r/track/", {"code": "NOSUCHCODE", "last4": "5678"})
    assert wrong.status_code == unknown.status_code == 404
    assert "没有与该查询码和手机号相符的诉求" in wrong.content.decode()
    ok = stranger.post("/r/track/", {"code": case.tracking_code.lower(), "last4": "5678"})
    assert ok.status_code == 302
    assert case.title in stranger.get(f"/r/track/{case.tracking_code}/").content.decode()


def test_the_timeline_is_public_safe_and_the_resident_rates(district) -> None:  # type: ignore[no-untyped-def]
    tree, cats = district
    client = Client()
    case = submitted(client)
    dispatcher = make_member(tree.district, Role.DISPATCHER)
    handler = make_member(tree.communities[0], Role.HANDLER)
    operator = make_member(tree.district, Role.OPERATOR)
    case = actions.triage_case(
        case, actor=dispatcher, category=cats["minor"], urgency=Urgency.NORMAL, note="内部备注甲"
    )
    case = actions.dispatch_case(case, actor=dispatcher, note="内部备注乙")
    case = actions.acknowledge_case(case, actor=handler)
    case = actions.handle_case(case, actor=handler, note="内部处置记录")
    case = actions.resolve_case(case, actor=handler, reply="路灯已更换，恢复照明。")
    case = actions.verify_case(case, actor=dispatcher, passed=True)
    page = client.get(f"/r/track/{case.tracking_code}/").content.decode()
    assert "路灯已更换" in page and "社区1" in page
    for internal in ("内部备注甲", "内部备注乙", "内部处置记录", handler.username, "13812345678"):
        assert internal not in page
    assert 'id="rate"' in page
    response = client.post(
        f"/r/track/{case.tracking_code}/rate/", {"rating": "5", "solved": "1", "comment": "很快"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.state, case.rating, case.solved) == (State.CLOSED, 5, True)
    assert case.events.last().actor is None
    again = client.post(f"/r/track/{case.tracking_code}/rate/", {"rating": "1", "solved": "0"})
    assert "不能" in client.get(again["Location"]).content.decode()
    assert operator  # the operator exists but was never needed


def test_the_follow_up_calls_on_the_tracking_page_and_a_rating_that_reopens(district) -> None:  # type: ignore[no-untyped-def]
    tree, cats = district
    client = Client()
    dispatcher = make_member(tree.district, Role.DISPATCHER)
    handler = make_member(tree.communities[0], Role.HANDLER)
    operator = make_member(tree.district, Role.OPERATOR)

    def in_follow_up() -> Case:
        case = actions.triage_case(
            submitted(client), actor=dispatcher, category=cats["minor"], urgency=Urgency.NORMAL
        )
        case = actions.dispatch_case(case, actor=dispatcher)
        case = actions.acknowledge_case(case, actor=handler)
        case = actions.resolve_case(case, actor=handler, reply="路灯已更换。")
        return actions.verify_case(case, actor=dispatcher, passed=True)

    case = in_follow_up()
    for _ in range(2):
        case = actions.follow_up_case(case, actor=operator, reached=False, note="内部：无人接")
    page = client.get(f"/r/track/{case.tracking_code}/").content.decode()
    assert page.count("回访来电未能联系上您") == 2 and "内部" not in page
    assert 'id="rate"' in page, "the resident may still rate"
    # Solved, but two stars: the district's policy reopens it.
    response = client.post(
        f"/r/track/{case.tracking_code}/rate/", {"rating": "2", "solved": "1"}, follow=True
    )
    assert "感谢您的评价。您的诉求已由社区1重新办理。" in response.content.decode()
    assert "您的评价：已重新办理" in response.content.decode()
    case.refresh_from_db()
    assert (case.state, case.reopens) == (State.HANDLING, 1)

    quiet = in_follow_up()
    for _ in range(3):
        quiet = actions.follow_up_case(quiet, actor=operator, reached=False)
    page = client.get(f"/r/track/{quiet.tracking_code}/").content.decode()
    assert "已结案：未能联系上您" in page and 'id="rate"' not in page


def test_a_database_that_cannot_write_now_gets_a_503_page(district, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from django.db import OperationalError

    import civicgrid.intake.views as views

    def locked(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError("database is locked")

    monkeypatch.setattr(views, "receive", locked)
    response = Client().post("/r/", FORM)
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "系统繁忙，本次提交未保存" in response.content.decode()
    assert not Case.objects.exists()
