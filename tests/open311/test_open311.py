"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2), built from the
specification's examples, in JSON and in XML; every refusal stores nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from django.test import Client
from django.utils import timezone

from civicgrid.cases import actions, clock
from civicgrid.cases.models import Case, CaseEvent, State, Urgency
from civicgrid.errors import Invalid
from civicgrid.intake.models import Place
from civicgrid.open311.formats import parse_w3c
from civicgrid.open311.models import ApiClient, Open311Request
from civicgrid.org.models import Role, User
from tests.factories import make_member, submit
from tests.open311.conftest import INSIDE, OUTSIDE, Open311

BASE = "/open311/v2"
FORM = "application/x-www-form-urlencoded; charset=utf-8"
PHONE, EMAIL, DEVICE, ACCOUNT = "13812345678", "smit333@example.org", "tt222111", "acct-123456"
MEDIA = "http://farm3.static.flickr.com/2002/2212426634_5ed477a060.jpg"


def browser(lang: str | None = None, **kwargs: Any) -> Client:
    return Client(**({"HTTP_ACCEPT_LANGUAGE": lang} if lang else {}), **kwargs)


def get(path: str, params: dict[str, Any] | None = None, lang: str | None = "en"):  # type: ignore[no-untyped-def]
    return browser(lang).get(f"{BASE}/{path}", params or {})


def form_for(env: Open311, **changes: Any) -> dict[str, Any]:
    """The specification's example request, for the 停水 service of the test district."""
    form: dict[str, Any] = {
        "api_key": env.client.key,
        "jurisdiction_id": "city.gov",  # one jurisdiction: accepted and ignored
        "service_code": "T6",
        "lat": INSIDE[1],
        "long": INSIDE[0],
        "address_string": "幸福小区3栋",
        "email": EMAIL,
        "device_id": DEVICE,
        "account_id": ACCOUNT,
        "first_name": "三",
        "last_name": "张",
        "phone": PHONE,
        "description": "整栋楼从早上开始停水，没有任何通知。",
        "media_url": MEDIA,
        "attribute[scope]": "building",
        "attribute[since]": "2025-03-01T07:30:00+08:00",
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def post(form: dict[str, Any], fmt: str = "json", lang: str | None = "en", **kwargs: Any):  # type: ignore[no-untyped-def]
    return browser(lang, **kwargs).post(
        f"{BASE}/requests.{fmt}", urlencode(form, doseq=True), content_type=FORM
    )


def xml(response) -> ElementTree.Element:  # type: ignore[no-untyped-def]
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ElementTree.fromstring(response.content)


def as_json(response) -> Any:  # type: ignore[no-untyped-def]
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return response.json()


def nothing_stored() -> bool:
    return not (
        Case.objects.exists() or CaseEvent.objects.exists() or Open311Request.objects.exists()
    )


def created(env: Open311, **changes: Any) -> Case:
    response = post(form_for(env, **changes))
    assert response.status_code == 200, response.content
    return Case.objects.get(tracking_code=response.json()[0]["service_request_id"])


def triaged(env: Open311, case: Case) -> Case:
    """A dispatcher's triage: from now on the case is published."""
    return actions.triage_case(
        case, actor=env.dispatcher, category=case.category or env.water, urgency=case.urgency
    )


# --- discovery ------------------------------------------------------------------------------


def test_discovery_in_json_and_xml(o311: Open311) -> None:
    body = as_json(get("discovery.json"))
    assert set(body) == {"changeset", "contact", "key_service", "endpoints"}
    assert body["contact"] and body["key_service"]
    [endpoint] = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["type"] == "production" and endpoint["changeset"] == body["changeset"]
    assert endpoint["formats"] == ["text/xml", "application/json"]

    root = xml(get("discovery.xml"))
    assert root.tag == "discovery"
    assert root.findtext("changeset") == body["changeset"]
    assert root.findtext("endpoints/endpoint/specification") == endpoint["specification"]
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == [
        "text/xml",
        "application/json",
    ]
    assert xml(get("")).tag == "discovery"  # the endpoint's root serves it too


# --- services -------------------------------------------------------------------------------


def test_services_are_the_active_leaf_categories(o311: Open311) -> None:
    services = as_json(get("services.json"))
    assert [s["service_code"] for s in services] == ["T1", "T2", "T3", "T4", "T5", "T6", "W"]
    water = services[5]
    assert water == {
        "service_code": "T6",
        "service_name": "停水",
        "description": "测试大类 / 停水",
        "metadata": True,
        "type": "realtime",
        "keywords": "测试大类",
        "group": "测试大类",
    }
    assert services[0]["metadata"] is False

    root = xml(get("services.xml"))
    assert root.tag == "services"
    nodes = root.findall("service")
    assert [n.findtext("service_code") for n in nodes] == [s["service_code"] for s in services]
    assert nodes[5].findtext("metadata") == "true" and nodes[0].findtext("metadata") == "false"
    assert nodes[5].findtext("group") == "测试大类" and nodes[5].findtext("type") == "realtime"


def test_service_definition_maps_the_questions(o311: Open311) -> None:
    body = as_json(get("services/T6.json"))
    assert body["service_code"] == "T6"
    scope, since, signs, floors = body["attributes"]
    assert scope == {
        "variable": True,
        "code": "scope",
        "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": None,
        "order": 1,
        "description": "停水范围",
        "values": [
            {"key": "home", "name": "仅我家"},
            {"key": "building", "name": "整栋楼"},
            {"key": "area", "name": "整个小区或片区"},
        ],
    }
    assert (since["datatype"], since["required"], since["order"]) == ("datetime", False, 2)
    assert signs["datatype"] == "multivaluelist" and floors["datatype"] == "number"

    root = xml(get("services/T6.xml"))
    assert root.tag == "service_definition" and root.findtext("service_code") == "T6"
    first = root.find("attributes/attribute")
    assert first is not None
    assert first.findtext("variable") == "true" and first.findtext("required") == "true"
    assert first.findtext("datatype_description") == ""
    assert [v.findtext("key") for v in first.findall("values/value")] == [
        "home",
        "building",
        "area",
    ]
    assert first.findtext("values/value/name") == "仅我家"

    plain = as_json(get("services/T1.json"))
    assert plain == {"service_code": "T1", "attributes": []}


@pytest.mark.parametrize("code", ["NOPE", "T", "W1", "X"])
def test_unknown_or_non_leaf_service_code_is_404(o311: Open311, code: str) -> None:
    response = get(f"services/{code}.json")
    assert response.status_code == 404
    assert as_json(response) == [
        {"code": 404, "description": f"service_code {code} was not found."}
    ]
    root = xml(get(f"services/{code}.xml"))
    assert root.tag == "errors" and root.findtext("error/code") == "404"
    assert code in (root.findtext("error/description") or "")


# --- POST Service Request -------------------------------------------------------------------


def test_post_creates_a_located_case_and_answers_with_its_id(o311: Open311) -> None:
    response = post(form_for(o311))
    assert response.status_code == 200, response.content
    [answer] = as_json(response)
    assert set(answer) == {"service_request_id", "service_notice", "account_id"}
    assert answer["account_id"] == ACCOUNT and answer["service_notice"]
    case = Case.objects.get(tracking_code=answer["service_request_id"])
    assert case.channel == "open311" and case.category == o311.water
    assert case.state == State.SUBMITTED and case.grid == o311.tree.grids[0]
    assert (case.lon, case.lat) == INSIDE and case.address == "幸福小区3栋"
    assert case.contact.phone == PHONE and case.contact.name == "张三"
    assert case.title == "整栋楼从早上开始停水，没有任何通知。"
    assert case.text.startswith("整栋楼从早上开始停水")
    assert "整栋楼" in case.text.splitlines()[-3] and "2025-03-01T07:30:00+08:00" in case.text
    assert MEDIA in case.text
    for private in (EMAIL, DEVICE, ACCOUNT):
        assert private not in case.text
    record = case.open311
    assert record.client == o311.client and record.media_url == MEDIA
    assert record.attributes == {"scope": "building", "since": "2025-03-01T07:30:00+08:00"}
    assert (record.email, record.device_id, record.account_id) == (EMAIL, DEVICE, ACCOUNT)
    assert [e.action for e in case.events.all()] == ["submit"]


def test_post_answers_in_xml_too(o311: Open311) -> None:
    response = post(form_for(o311, account_id=None), fmt="xml")
    assert response.status_code == 200
    root = xml(response)
    assert root.tag == "service_requests"
    code = root.findtext("request/service_request_id")
    assert Case.objects.filter(tracking_code=code).exists()
    assert root.findtext("request/account_id") == ""  # not given: empty, as in the example
    assert root.find("request/token") is None  # realtime: an id, never a token


def test_post_takes_multivaluelist_and_number_attributes(o311: Open311) -> None:
    case = created(o311, **{"attribute[floors]": "6", "attribute[signs][]": ["none", "low"]})
    assert case.open311.attributes["signs"] == ["none", "low"]
    assert case.open311.attributes["floors"] == "6"
    assert "完全无水, 水压低" in case.text


def test_address_string_alone_is_a_location(o311: Open311) -> None:
    case = created(o311, lat=None, long=None, address_string="解放路与延安路口")
    assert case.lon is None and case.grid is None and case.address == "解放路与延安路口"


def test_address_id_is_a_place_of_the_gazetteer(o311: Open311) -> None:
    place = Place.objects.create(
        name="幸福小区",
        kind=Place.Kind.ESTATE,
        lon=INSIDE[0],
        lat=INSIDE[1],
        community=o311.tree.communities[0],
    )
    case = created(o311, lat=None, long=None, address_string=None, address_id=str(place.pk))
    assert case.grid == o311.tree.grids[0] and case.address == "幸福小区"


def test_without_a_description_the_service_names_the_case(o311: Open311) -> None:
    case = created(o311, description=None, media_url=None, **{"attribute[since]": None})
    assert case.title == "停水" and case.text.splitlines()[0] == "停水"
    assert "整栋楼" in case.text


def test_without_a_phone_the_clients_own_account_submits(o311: Open311) -> None:
    refused = post(form_for(o311, phone=None))
    assert refused.status_code == 400
    assert as_json(refused)[0]["description"] == "A phone number is required for this client."
    assert nothing_stored()

    operator = make_member(o311.tree.district, Role.OPERATOR, username="open311_app")
    o311.client.user = operator
    o311.client.save()
    case = created(o311, phone=None)
    assert case.contact.phone == "" and case.events.get().actor == operator


def test_posting_is_exempt_from_csrf(o311: Open311) -> None:
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(
        f"{BASE}/requests.json", urlencode(form_for(o311), doseq=True), content_type=FORM
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "changes,status,message",
    [
        ({"api_key": None}, 403, "An api_key is required to submit a request."),
        ({"api_key": "xyz"}, 403, "Invalid api_key: it is unknown or disabled."),
        ({"service_code": None}, 400, "service_code was not provided."),
        ({"service_code": "NOPE"}, 404, "service_code NOPE was not found."),
        ({"service_code": "T"}, 404, "service_code T was not found."),
        (
            {"lat": OUTSIDE[1], "long": OUTSIDE[0]},
            400,
            "The location (121.50000, 31.20000) is outside this district.",
        ),
        ({"long": None}, 400, "A location needs both longitude and latitude."),
        ({"lat": "north"}, 400, "The location is not a pair of numbers."),
        (
            {"lat": None, "long": None, "address_string": None},
            400,
            "A location is required: lat and long, address_string or address_id.",
        ),
        ({"lat": None, "long": None, "address_id": "999"}, 400, "Unknown place in the gazetteer."),
        (
            {"attribute[scope]": None},
            400,
            "The attribute scope (停水范围) is required.",
        ),
        (
            {"attribute[scope]": "street"},
            400,
            "street is not one of the values of the attribute scope.",
        ),
        ({"attribute[colour]": "blue"}, 400, "This service has no attribute colour."),
        ({"attribute[floors]": "many"}, 400, "The attribute floors is a number, not many."),
        (
            {"attribute[since]": "yesterday"},
            400,
            "attribute[since] is not a W3C date-time such as 2010-01-01T00:00:00Z: yesterday",
        ),
        (
            {"description": "水" * 4001},
            400,
            "The description is too long (at most 4000 characters).",
        ),
        ({"email": "not-an-address"}, 400, "not-an-address is not an e-mail address."),
        ({"media_url": "javascript:alert(1)"}, 400, "media_url must be an http or https URL."),
        ({"phone": "12345"}, 400, "12345 is not a mainland China mobile number."),
    ],
)
def test_bad_submissions_are_refused_and_store_nothing(
    o311: Open311, changes: dict[str, Any], status: int, message: str
) -> None:
    response = post(form_for(o311, **changes))
    assert response.status_code == status, response.content
    assert as_json(response) == [{"code": status, "description": message}]
    root = xml(post(form_for(o311, **changes), fmt="xml"))
    assert root.tag == "errors"
    assert root.findtext("error/code") == str(status)
    assert root.findtext("error/description") == message
    assert nothing_stored()


def test_refusals_speak_the_districts_language_by_default(o311: Open311) -> None:
    response = post(form_for(o311, lat=OUTSIDE[1], long=OUTSIDE[0]), lang=None)
    assert response.status_code == 400
    assert "不在本区范围内" in response.json()[0]["description"]
    assert nothing_stored()


def test_an_inactive_clients_key_is_refused(o311: Open311) -> None:
    ApiClient.objects.filter(pk=o311.client.pk).update(active=False)
    response = post(form_for(o311))
    assert response.status_code == 403 and nothing_stored()


def test_a_json_body_is_refused(o311: Open311) -> None:
    response = browser("en").post(
        f"{BASE}/requests.json", form_for(o311), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()[0]["description"] == (
        "Send the request as application/x-www-form-urlencoded."
    )
    assert nothing_stored()


def test_posting_is_rate_limited_per_ip(o311: Open311, settings) -> None:  # type: ignore[no-untyped-def]
    settings.INTAKE_RATE_PER_IP = "2/600"
    assert post(form_for(o311)).status_code == 200
    assert post(form_for(o311, api_key="wrong")).status_code == 403  # guesses count too
    refused = post(form_for(o311))
    assert refused.status_code == 429 and refused.json()[0]["code"] == 429
    assert Case.objects.count() == 1


# --- GET Service Request(s), tokens ---------------------------------------------------------


PUBLIC_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


def assert_public(content: bytes) -> None:
    text = content.decode()
    for private in (PHONE, "张三", EMAIL, DEVICE, ACCOUNT, "张女士", "13812340000", "内部"):
        assert private not in text


def test_a_request_by_its_id_in_json_and_xml(o311: Open311) -> None:
    case = triaged(o311, created(o311))
    response = get(f"requests/{case.tracking_code}.json")
    [entry] = as_json(response)
    assert list(entry) == PUBLIC_FIELDS
    assert entry["service_request_id"] == case.tracking_code
    assert entry["status"] == "open" and entry["status_notes"] == "Received."
    assert (entry["service_code"], entry["service_name"]) == ("T6", "停水")
    assert entry["description"] == case.text and entry["agency_responsible"] == "测试区"
    assert entry["service_notice"] == case.open311.service_notice
    assert entry["requested_datetime"] == timezone.localtime(case.created_at).isoformat(
        timespec="seconds"
    )
    assert entry["requested_datetime"].endswith("+08:00") and entry["expected_datetime"] is None
    assert (entry["lat"], entry["long"]) == (round(INSIDE[1], 3), round(INSIDE[0], 3))
    assert entry["address"] == "幸福小区" and entry["media_url"] == MEDIA  # no building
    assert entry["address_id"] is None and entry["zipcode"] is None
    assert_public(response.content)

    root = xml(get(f"requests/{case.tracking_code.lower()}.xml"))
    assert root.tag == "service_requests"
    [request] = root.findall("request")
    assert [child.tag for child in request] == PUBLIC_FIELDS
    assert request.findtext("service_request_id") == case.tracking_code
    assert request.findtext("lat") == str(round(INSIDE[1], 3))
    assert request.findtext("zipcode") == ""

    missing = get("requests/NOSUCHCODE.json")
    assert missing.status_code == 404
    assert missing.json() == [
        {"code": 404, "description": "service_request_id NOSUCHCODE was not found."}
    ]


def test_the_list_filters_by_status_service_code_and_dates(o311: Open311) -> None:
    mine = triaged(o311, created(o311))
    noise = triaged(o311, submit(o311.tree, o311.categories["minor"], contact_phone="13812340000"))
    spam = submit(o311.tree, o311.categories["minor"], text="测试测试")
    actions.reject_case(spam, actor=o311.dispatcher, reason="内部：重复的测试数据")
    with clock.at(timezone.now() - timedelta(days=100)):
        old = triaged(o311, submit(o311.tree, o311.categories["micro"]))

    def codes(**params: Any) -> list[str]:
        response = get("requests.json", params)
        assert response.status_code == 200, response.content
        assert_public(response.content)
        return [e["service_request_id"] for e in response.json()]

    recent = {mine.tracking_code, noise.tracking_code, spam.tracking_code}
    assert set(codes()) == recent  # the most recent 90 days by default
    assert codes(status="closed") == [spam.tracking_code]
    assert set(codes(status="open")) == {mine.tracking_code, noise.tracking_code}
    assert set(codes(status="open,closed")) == recent
    assert codes(service_code="T6") == [mine.tracking_code]
    assert set(codes(service_code="T6,T3")) == recent
    assert codes(service_code="T1") == []
    start = (timezone.now() - timedelta(days=120)).isoformat(timespec="seconds")
    end = (timezone.now() - timedelta(days=50)).isoformat(timespec="seconds")
    assert codes(start_date=start, end_date=end) == [old.tracking_code]
    assert codes(end_date=end) == [old.tracking_code]
    assert codes(start_date=start) == [old.tracking_code]  # 90 days from the start
    # service_request_id overrides every other argument; unknown ids are left out.
    assert codes(
        service_request_id=f"{old.tracking_code},NOPE,{mine.tracking_code}", status="closed"
    ) == [
        old.tracking_code,
        mine.tracking_code,
    ]

    spam_entry = get(f"requests/{spam.tracking_code}.json").json()[0]
    assert spam_entry["status"] == "closed"
    assert spam_entry["status_notes"] == "Not accepted: not a matter the district handles."
    assert spam_entry["updated_datetime"] == timezone.localtime(
        Case.objects.get(pk=spam.pk).closed_at
    ).isoformat(timespec="seconds")

    root = xml(get("requests.xml", {"status": "closed"}))
    assert [r.findtext("service_request_id") for r in root.findall("request")] == [
        spam.tracking_code
    ]


@pytest.mark.parametrize(
    "params,message",
    [
        (
            {"start_date": "2010-13-01"},
            "start_date is not a W3C date-time such as 2010-01-01T00:00:00Z: 2010-13-01",
        ),
        (
            {"end_date": "2010-01-01T00:00:00"},
            "end_date is not a W3C date-time such as 2010-01-01T00:00:00Z: 2010-01-01T00:00:00",
        ),
        (
            {"start_date": "2010-06-24T00:00:00Z", "end_date": "2010-05-24T00:00:00Z"},
            "end_date is before start_date.",
        ),
        (
            {"start_date": "2010-01-01T00:00:00Z", "end_date": "2010-06-24T00:00:00Z"},
            "start_date and end_date may not span more than 90 days.",
        ),
        ({"status": "pending"}, "status is open or closed, not pending."),
    ],
)
def test_bad_query_arguments_are_400(o311: Open311, params: dict[str, str], message: str) -> None:
    response = get("requests.json", params)
    assert response.status_code == 400
    assert response.json() == [{"code": 400, "description": message}]
    if "status" not in params:  # the updates take the same dates
        root = xml(get("servicerequestupdates.xml", params))
        assert root.findtext("error/description") == message


def test_tokens(o311: Open311) -> None:
    case = created(o311)
    token = case.open311.token
    assert as_json(get(f"tokens/{token}.json")) == [
        {"service_request_id": case.tracking_code, "token": token}
    ]
    root = xml(get(f"tokens/{token}.xml"))
    assert root.findtext("request/service_request_id") == case.tracking_code
    assert root.findtext("request/token") == token
    assert get("tokens/nope.json").status_code == 404


# --- GET Service Request Updates (FixMyStreet's extension) ----------------------------------


def test_updates_tell_public_progress_only(o311: Open311) -> None:
    case = created(o311)
    case = actions.dispatch_case(case, actor=o311.dispatcher, note="内部：先派社区看看")
    case = actions.acknowledge_case(case, actor=o311.handler, note="内部：物业不配合")
    case = actions.resolve_case(
        case,
        actor=o311.handler,
        reply="已联系供水公司，当天下午更换了楼前破裂的水管，现已恢复供水。",
    )
    other = submit(o311.tree, o311.categories["minor"])
    actions.reject_case(other, actor=o311.dispatcher, reason="内部：恶意重复")

    response = get("servicerequestupdates.json")
    assert response.status_code == 200
    updates = as_json(response)
    assert_public(response.content)
    mine = [u for u in updates if u["service_request_id"] == case.tracking_code]
    assert [u["description"] for u in mine] == [
        "已联系供水公司，当天下午更换了楼前破裂的水管，现已恢复供水。",
        "社区1 has taken it up.",
        "Assigned to 社区1.",
        "Received.",
    ]
    assert {u["status"] for u in mine} == {"open"}
    assert mine[0]["update_id"] == f"{case.tracking_code}_{case.version}"
    assert set(mine[0]) == {
        "update_id",
        "service_request_id",
        "status",
        "updated_datetime",
        "description",
        "media_url",
    }
    rejected = [u for u in updates if u["service_request_id"] == other.tracking_code]
    assert rejected[0]["status"] == "closed"

    root = xml(get("servicerequestupdates.xml"))
    assert root.tag == "service_request_updates"
    assert len(root.findall("request_update")) == len(updates)
    assert root.findtext("request_update/update_id") == updates[0]["update_id"]

    entry = get(f"requests/{case.tracking_code}.json").json()[0]
    assert (
        entry["status"] == "open"
        and entry["status_notes"] == "已联系供水公司，当天下午更换了楼前破裂的水管，现已恢复供水。"
    )
    assert entry["agency_responsible"] == "社区1" and entry["expected_datetime"]

    later = (timezone.now() + timedelta(days=1)).isoformat(timespec="seconds")
    assert get("servicerequestupdates.json", {"start_date": later}).json() == []


def test_rated_cases_are_closed(o311: Open311) -> None:
    case = created(o311)
    case = actions.dispatch_case(case, actor=o311.dispatcher)
    case = actions.acknowledge_case(case, actor=o311.handler)
    case = actions.resolve_case(case, actor=o311.handler, reply="已修复。")
    case = actions.verify_case(case, actor=o311.dispatcher, passed=True)
    case = actions.rate_case(case, actor=None, rating=5, solved=True, comment="内部人员态度好")
    [entry] = get(f"requests/{case.tracking_code}.json").json()
    assert entry["status"] == "closed"
    assert entry["status_notes"] == "Closed: the resident confirms it is solved."


def test_follow_up_outcomes_are_told_in_public_words(o311: Open311) -> None:
    def in_follow_up() -> Case:
        case = actions.dispatch_case(created(o311), actor=o311.dispatcher)
        case = actions.acknowledge_case(case, actor=o311.handler)
        case = actions.resolve_case(case, actor=o311.handler, reply="已修复。")
        return actions.verify_case(case, actor=o311.dispatcher, passed=True)

    quiet = in_follow_up()
    for _ in range(3):
        quiet = actions.follow_up_case(quiet, actor=o311.dispatcher, reached=False, note="内部")
    [entry] = get(f"requests/{quiet.tracking_code}.json").json()
    assert entry["status"] == "closed"
    assert entry["status_notes"] == "Closed: the resident could not be reached at follow-up."
    unhappy = actions.follow_up_case(
        in_follow_up(), actor=o311.dispatcher, reached=True, rating=1, solved=True, comment="内部"
    )
    [entry] = get(f"requests/{unhappy.tracking_code}.json").json()
    assert entry["status"] == "open"
    assert entry["status_notes"] == "Reopened: the resident is not satisfied with the handling."
    assert_public(get("servicerequestupdates.json").content)


# --- the rest of the protocol ---------------------------------------------------------------


def test_unknown_resources_and_methods(o311: Open311) -> None:
    missing = get("nothing.json")
    assert missing.status_code == 404 and missing.json()[0]["code"] == 404
    assert xml(get("services.csv")).findtext("error/code") == "404"
    put = browser("en").put(f"{BASE}/services.json")
    assert put.status_code == 405 and put["Allow"] == "GET, HEAD"
    assert put.json()[0]["description"] == "PUT is not allowed here."


def test_an_emergency_gets_its_notice(o311: Open311) -> None:
    case = triaged(o311, created(o311, description="楼道里有很浓的煤气味，整栋楼停水。"))
    assert case.urgency == Urgency.EMERGENCY
    notice = get(f"requests/{case.tracking_code}.json").json()[0]["service_notice"]
    assert notice == case.open311.service_notice != ""


@pytest.mark.parametrize(
    "value,expected",
    [
        ("2010-01-01T00:00:00Z", "2010-01-01T00:00:00+00:00"),
        ("1994-11-05T08:15:30-05:00", "1994-11-05T13:15:30+00:00"),
        ("1994-11-05T13:15:30Z", "1994-11-05T13:15:30+00:00"),
        ("1997-07-16T19:20+01:00", "1997-07-16T18:20:00+00:00"),
        ("1997-07-16T19:20:30.45+01:00", "1997-07-16T18:20:30.450000+00:00"),
        ("1997-07-16T19:20:30 01:00", "1997-07-16T18:20:30+00:00"),  # "+" lost in a URL
        ("1997-07-16", "1997-07-15T16:00:00+00:00"),  # midnight in the district
        ("1997", "1996-12-31T16:00:00+00:00"),
    ],
)
def test_w3c_dates(value: str, expected: str) -> None:
    parsed = parse_w3c(value, "start_date")
    assert parsed.astimezone(datetime.fromisoformat(expected).tzinfo).isoformat() == expected


@pytest.mark.parametrize(
    "value", ["2010-01-01T00:00:00", "2010-02-30", "2010-1-1", "yesterday", "2010-01-01T25:00Z"]
)
def test_not_w3c_dates(value: str) -> None:
    with pytest.raises(Invalid):
        parse_w3c(value, "start_date")


def test_the_admin_shows_keys_and_issues_new_ones(o311: Open311) -> None:
    admin = User.objects.create_superuser("root", password="x")
    client = Client()
    client.force_login(admin)
    listing = client.get("/admin/open311/apiclient/")
    assert listing.status_code == 200 and o311.client.key in listing.content.decode()
    old = o311.client.key
    response = client.post(
        "/admin/open311/apiclient/",
        {"action": "issue_new_key", "_selected_action": [o311.client.pk]},
    )
    assert response.status_code == 302
    o311.client.refresh_from_db()
    assert o311.client.key != old and len(o311.client.key) >= 40
    assert post(form_for(o311, api_key=old)).status_code == 403
    assert client.get(f"/admin/open311/apiclient/{o311.client.pk}/change/").status_code == 200
    record = created(o311, api_key=o311.client.key).open311
    assert client.get("/admin/open311/open311request/").status_code == 200
    page = client.get(f"/admin/open311/open311request/{record.pk}/change/")
    assert page.status_code == 200 and EMAIL in page.content.decode()


def test_a_reply_flagged_as_saying_too_little_is_not_published_word_for_word(
    o311: Open311,
) -> None:
    """As on the tracking page: a reply the check flagged (too short, stock phrases) is
    told in a neutral sentence, never quoted."""
    case = actions.dispatch_case(created(o311), actor=o311.dispatcher)
    case = actions.acknowledge_case(case, actor=o311.handler)
    case = actions.resolve_case(case, actor=o311.handler, reply="已修复。")
    [entry] = get(f"requests/{case.tracking_code}.json").json()
    assert entry["status_notes"] == "Reported done; the reply is being checked."
    updates = get("servicerequestupdates.json").json()
    assert "已修复" not in str(updates)
