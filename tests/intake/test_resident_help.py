"""The resident site's help for elderly users, on the server's side: a point named in
words (``/r/where/``), the large-type cookie, the resident's 404, the expected date,
and a reply that says too little withheld until a verifier passed it."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from civicgrid.cases import actions
from civicgrid.cases.models import Urgency
from civicgrid.intake.models import Place
from civicgrid.intake.views import expected, public_timeline
from civicgrid.intake.where import describe_point
from civicgrid.org.models import Role
from civicgrid.privacy.publish import reply_needs_a_look
from tests.factories import make_member, submit
from tests.intake.conftest import INSIDE, OUTSIDE


def _place(tree) -> Place:  # type: ignore[no-untyped-def]
    return Place.objects.create(
        name="幸福小区",
        kind=Place.Kind.ESTATE,
        lon=120.004,
        lat=30.004,
        community=tree.communities[0],
    )


def test_a_point_is_named_by_street_community_and_a_near_place(district) -> None:  # type: ignore[no-untyped-def]
    tree, _ = district
    assert describe_point(*INSIDE).name == "第1街道 社区1"
    _place(tree)
    assert describe_point(*INSIDE).name == "第1街道 社区1，幸福小区附近"
    far = describe_point(120.0095, 30.0195)  # the same community, > 300 m from the place
    assert far.located and far.name == "第1街道 社区1"
    outside = describe_point(*OUTSIDE)
    assert not outside.located and outside.name


def test_where_answers_json_and_a_page_and_refuses_bad_points(district) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    lon, lat = INSIDE
    answer = client.get(f"/r/where/?lon={lon}&lat={lat}", HTTP_ACCEPT="application/json")
    assert answer.json() == {"located": True, "name": "第1街道 社区1"}
    page = client.get(f"/r/where/?lon={lon}&lat={lat}")
    assert page.status_code == 200
    assert "第1街道 社区1" in page.content.decode()
    assert f"/r/?lon={lon:.6f}&amp;lat={lat:.6f}" in page.content.decode()
    outside = client.get(
        f"/r/where/?lon={OUTSIDE[0]}&lat={OUTSIDE[1]}", HTTP_ACCEPT="application/json"
    )
    assert outside.json()["located"] is False
    for query in ("lon=abc&lat=30", "lon=120", ""):
        refused = client.get(f"/r/where/?{query}", HTTP_ACCEPT="application/json")
        assert refused.status_code == 400, query
        assert refused.json()["located"] is False and refused.json()["name"]
        assert client.get(f"/r/where/?{query}").status_code == 400
    # The form opened with a point names it in words, never the coordinates.
    form = client.get(f"/r/?lon={lon}&lat={lat}").content.decode()
    assert "已选：第1街道 社区1" in form and f"{lon}, {lat}" not in form


def test_the_large_type_switch_sets_a_cookie_and_goes_back(district) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    response = client.get("/r/text-size/?size=large&next=/r/track/")
    assert response.status_code == 302 and response["Location"] == "/r/track/"
    assert client.cookies["civicgrid_text"].value == "large"
    assert '<html lang="zh-hans" class="large">' in client.get("/r/track/").content.decode()
    # Never back to another site, nor to the console.
    for elsewhere in ("https://example.com/", "//example.com/", "/admin/"):
        response = client.get(f"/r/text-size/?size=normal&next={elsewhere}")
        assert response["Location"] == "/r/", elsewhere
    assert client.cookies["civicgrid_text"].value == "normal"
    client.get("/r/text-size/?size=huge")
    assert client.cookies["civicgrid_text"].value == "normal"


def test_not_found_under_r_is_a_residents_page(district) -> None:  # type: ignore[no-untyped-def]
    tree, _ = district
    case = submit(tree)
    client = Client()
    response = client.get(f"/r/done/{case.tracking_code}/")
    assert response.status_code == 404
    assert response.templates[0].name == "intake/404.html"
    page = response.content.decode()
    assert f'href="/r/track/?code={case.tracking_code}"' in page
    assert "查询码" in page and "返回首页" not in page
    response = client.get("/r/nothing-here/")
    assert response.status_code == 404 and 'href="/r/track/"' in response.content.decode()
    # The console keeps its own.
    assert client.get("/no-such-page/").templates[0].name == "404.html"


def test_the_expected_date_is_the_resolve_deadline(district) -> None:  # type: ignore[no-untyped-def]
    tree, categories = district
    dispatcher = make_member(tree.district, Role.DISPATCHER)
    case = submit(tree)
    assert expected(case) == {"pending": True}
    case = actions.triage_case(
        case, actor=dispatcher, category=categories["minor"], urgency=Urgency.NORMAL
    )
    case = actions.dispatch_case(case, actor=dispatcher)
    assert case.resolve_due is not None
    assert expected(case) == {
        "date": timezone.localtime(case.resolve_due).date(),
        "overdue": False,
    }
    case.resolve_due = timezone.now() - timedelta(hours=1)
    assert expected(case)["overdue"] is True  # type: ignore[index]
    case.state = "closed"
    assert expected(case) is None


def _resolved(tree, categories, reply: str):  # type: ignore[no-untyped-def]
    dispatcher = make_member(tree.district, Role.DISPATCHER)
    handler = make_member(tree.communities[0], Role.HANDLER)
    case = submit(tree)
    case = actions.triage_case(
        case, actor=dispatcher, category=categories["minor"], urgency=Urgency.NORMAL
    )
    case = actions.dispatch_case(case, actor=dispatcher)
    case = actions.acknowledge_case(case, actor=handler)
    return actions.resolve_case(case, actor=handler, reply=reply), dispatcher


def test_a_too_short_reply_is_withheld_until_verified(district) -> None:  # type: ignore[no-untyped-def]
    tree, categories = district
    case, dispatcher = _resolved(tree, categories, "已处理。")
    (step,) = [s for s in public_timeline(case) if s["step"] == "resolved"]
    assert step["withheld"] and step["text"] == ""
    case = actions.verify_case(case, actor=dispatcher, passed=True)
    (step,) = [s for s in public_timeline(case) if s["step"] == "resolved"]
    assert not step["withheld"] and step["text"] == "已处理。"


def test_a_full_reply_is_shown_at_once(district) -> None:  # type: ignore[no-untyped-def]
    tree, categories = district
    reply = "物业已于今天上午把楼道里的纸箱全部清走，消防通道恢复畅通，请您监督。"
    case, _dispatcher = _resolved(tree, categories, reply)
    assert not reply_needs_a_look(case.events.get(action="resolve").data["reply_check"])
    (step,) = [s for s in public_timeline(case) if s["step"] == "resolved"]
    assert not step["withheld"] and step["text"] == reply


def test_which_flags_withhold_a_reply() -> None:
    assert reply_needs_a_look({"flags": ["too_short", "no_answer"]})
    assert reply_needs_a_look({"flags": ["boilerplate"]})
    assert reply_needs_a_look({"flags": ["empty"]})
    assert not reply_needs_a_look({"flags": ["unrelated"]})
    assert not reply_needs_a_look({})


def test_the_api_names_a_point_too(district) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    lon, lat = INSIDE
    answer = client.get(f"/api/geo/where?lon={lon}&lat={lat}")
    assert answer.status_code == 200
    assert answer.json() == {
        "located": True,
        "name": "第1街道 社区1",
        "street": "第1街道",
        "community": "社区1",
        "near": "",
    }
    refused = client.get("/api/geo/where?lon=200&lat=30")
    assert refused.status_code in (400, 422)
    assert refused.json()["detail"]
    schema = client.get("/api/openapi.json").json()
    assert "/api/geo/where" in schema["paths"]
