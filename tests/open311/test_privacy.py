"""What Open311 publishes of a resident's request: nothing before triage, nothing
personal in the words (description, status notes, updates), the place at estate/road
level and about 100 m, neither place nor point for "keep my identity"; JSON and XML."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

from django.test import Client

from civicgrid.cases import actions
from civicgrid.cases.models import Case, Urgency
from civicgrid.org.models import Role
from tests.factories import make_member, submit
from tests.open311.conftest import Open311
from tests.open311.test_open311 import created, get, triaged

# A complaint about a neighbour that names the complainant every way there is.
NAME, MOBILE, ID_NUMBER = "周晓梅", "13973125566", "430102198807154321"
PERSONAL = [NAME, MOBILE, "139 7312 5566", ID_NUMBER, "7栋2单元1302", "1302", "周女士"]
TEXT = (
    f"我是{NAME}，住幸福小区7栋2单元1302，身份证{ID_NUMBER}，电话139 7312 5566。"
    "楼上每天夜里拖家具，请处理，别告诉他们是周女士反映的。"
)
POINT = (120.0051234, 30.0054321)  # in grid D01001001, to seven decimals


def resident_request(client: Client | None = None, **change: Any) -> Case:
    """A request from the resident site (/r/), "keep my identity" ticked."""
    form = {
        "text": TEXT,
        "lon": str(POINT[0]),
        "lat": str(POINT[1]),
        "address": "幸福小区7栋2单元1302",
        "phone": MOBILE,
        "name": NAME,
        "hide_identity": "1",
        **change,
    }
    response = (client or Client()).post("/r/", form)
    assert response.status_code == 302, response.content.decode()[:1000]
    return Case.objects.get(tracking_code=response["Location"].rstrip("/").rsplit("/", 1)[-1])


def all_public_answers(code: str) -> list[bytes]:
    """Every Open311 read that could show the case, in both formats."""
    answers = []
    for fmt in ("json", "xml"):
        for path, params in (
            (f"requests.{fmt}", {}),
            (f"requests.{fmt}", {"service_request_id": code}),
            (f"requests/{code}.{fmt}", {}),
            (f"servicerequestupdates.{fmt}", {}),
        ):
            response = get(path, params)
            assert response.status_code in (200, 404), response.content
            answers.append(response.content)
    return answers


def assert_nothing_personal(answers: list[bytes]) -> None:
    for content in answers:
        text = content.decode()
        for private in PERSONAL:
            assert private not in text, (private, text[:2000])


def codes_listed(**params: str) -> list[str]:
    return [e["service_request_id"] for e in get("requests.json", params).json()]


def test_a_hide_identity_request_leaks_nothing(o311: Open311) -> None:
    case = triaged(o311, resident_request())
    case = actions.dispatch_case(case, actor=o311.dispatcher)
    case = actions.acknowledge_case(case, actor=o311.handler)
    actions.resolve_case(
        case,
        actor=o311.handler,
        reply=f"{NAME}您好，已上门（7栋2单元1302）协调，楼上住户已承诺整改；周女士如有问题请回电"
        f"{MOBILE}。",
    )
    answers = all_public_answers(case.tracking_code)
    assert_nothing_personal(answers)

    [entry] = get(f"requests/{case.tracking_code}.json").json()
    assert entry["address"] is None and entry["lat"] is None and entry["long"] is None
    assert entry["description"].startswith("我是[name]，住幸福小区[room]，身份证[ID number]")
    assert "楼上每天夜里拖家具" in entry["description"]  # the matter itself is published
    assert entry["status_notes"].startswith("[name]您好，已上门（[room]）协调")
    root = ElementTree.fromstring(get(f"requests/{case.tracking_code}.xml").content)
    assert root.findtext("request/address") == "" and root.findtext("request/lat") == ""
    assert root.findtext("request/description") == entry["description"]
    updates = get("servicerequestupdates.json").json()
    assert updates[0]["description"] == entry["status_notes"]


def test_the_place_is_published_at_estate_level_and_about_100_metres(o311: Open311) -> None:
    case = triaged(o311, resident_request(hide_identity=""))
    [entry] = get(f"requests/{case.tracking_code}.json").json()
    assert entry["address"] == "幸福小区"
    assert (entry["long"], entry["lat"]) == (120.005, 30.005)
    assert_nothing_personal(all_public_answers(case.tracking_code))
    root = ElementTree.fromstring(get(f"requests/{case.tracking_code}.xml").content)
    assert root.findtext("request/long") == "120.005"
    assert root.findtext("request/address") == "幸福小区"


def test_nothing_is_public_before_triage(o311: Open311) -> None:
    waiting = resident_request()
    chosen = created(o311)  # the client chose a service: a category, but nobody looked yet
    assert chosen.category is not None
    for case in (waiting, chosen):
        assert case.tracking_code not in codes_listed()
        assert codes_listed(service_request_id=case.tracking_code) == []
        missing = get(f"requests/{case.tracking_code}.json")
        assert missing.status_code == 404
        assert missing.json()[0]["description"] == (
            f"service_request_id {case.tracking_code} was not found."
        )
        root = ElementTree.fromstring(get(f"requests/{case.tracking_code}.xml").content)
        assert root.tag == "errors"
    updates = get("servicerequestupdates.json").json()
    assert {u["service_request_id"] for u in updates} == set()

    by_person = triaged(o311, waiting)
    assert codes_listed() == [by_person.tracking_code]
    assert [u["service_request_id"] for u in get("servicerequestupdates.json").json()] == [
        by_person.tracking_code
    ]
    # The classifier's triage (the system, no actor) publishes as a person's does.
    by_machine = actions.triage_case(
        chosen, actor=None, category=o311.water, urgency=Urgency.NORMAL
    )
    assert by_machine.tracking_code in codes_listed()


def test_a_case_past_submitted_is_public_without_a_triage_event(o311: Open311) -> None:
    rejected = submit(o311.tree, o311.categories["minor"])
    actions.reject_case(rejected, actor=o311.dispatcher, reason="不属于政务服务事项")
    fixed = submit(o311.tree, o311.categories["micro"], channel="patrol")
    grid_worker = make_member(o311.tree.grids[0], Role.GRID_WORKER)
    actions.fix_on_the_spot(fixed, actor=grid_worker, reply="已清理")
    assert set(codes_listed()) == {rejected.tracking_code, fixed.tracking_code}
    assert not rejected.events.filter(action="triage").exists()


def test_the_list_costs_two_queries_however_many_cases(
    o311: Open311, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    """The cases with their contacts, then their last public events: masking with the
    resident's name reads nothing more."""
    for hide in ("1", "", "1", ""):
        triaged(o311, resident_request(hide_identity=hide))
    with django_assert_num_queries(2):
        assert len(get("requests.json").json()) == 4
    with django_assert_num_queries(2):
        assert len(get("requests.xml").content) > 0
    with django_assert_num_queries(1):
        assert len(get("servicerequestupdates.json").json()) == 4


def test_a_withdrawn_case_is_not_published_and_its_withdrawal_is_on_record(
    o311: Open311,
) -> None:
    case = triaged(o311, resident_request(hide_identity=""))
    case = actions.dispatch_case(case, actor=o311.dispatcher)
    other = triaged(o311, resident_request(hide_identity=""))
    assert case.tracking_code in codes_listed()
    case = actions.withdraw_from_public(
        case, actor=o311.dispatcher, reason="描述涉及未成年人，撤下公开"
    )

    assert codes_listed() == [other.tracking_code]
    assert codes_listed(service_request_id=case.tracking_code) == []
    for fmt in ("json", "xml"):
        assert get(f"requests/{case.tracking_code}.{fmt}").status_code == 404
        assert case.tracking_code.encode() not in get(f"servicerequestupdates.{fmt}").content
        assert case.tracking_code.encode() not in get(f"requests.{fmt}").content
    event = case.events.get(action="withdraw")
    assert (event.actor, event.note) == (o311.dispatcher, "描述涉及未成年人，撤下公开")

    actions.republish_case(case, actor=o311.dispatcher)
    assert case.tracking_code in codes_listed()
    assert get(f"requests/{case.tracking_code}.json").status_code == 200
