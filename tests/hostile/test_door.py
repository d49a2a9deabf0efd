"""The door (web.middleware.InputMiddleware) and the number checks behind every
surface: each kind of input a person or a program could send, what it gets (status and
sentence, naming the field, in the user's language), and that a refusal stores
nothing, on both databases. The API's one error shape, documented everywhere."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from civicgrid.api import api
from civicgrid.cases.models import Case, CaseEvent
from civicgrid.errors import ERRORS
from tests.hostile.conftest import World

# --- at the door, per surface -------------------------------------------------------------


def signed_in(world: World, **kwargs) -> Client:  # type: ignore[no-untyped-def]
    client = Client(**kwargs)
    client.force_login(world.user)
    return client


def nothing_written(before: tuple[int, int]) -> bool:
    return (Case.objects.count(), CaseEvent.objects.count()) == before


def counts() -> tuple[int, int]:
    return Case.objects.count(), CaseEvent.objects.count()


INTAKE = {
    "text": "楼道里堆满杂物，影响通行。",
    "phone": "13812345678",
    "lon": 120.005,
    "lat": 30.005,
}


@pytest.mark.parametrize(
    "field,escaped",
    [("text", "\\u0000"), ("text", "\\ud800"), ("title", "\\udfff"), ("name", "a\\u0000")],
)
def test_public_intake_refuses_nul_and_lone_surrogates_in_json(
    world: World, field, escaped
) -> None:  # type: ignore[no-untyped-def]
    before = counts()
    body = json.dumps(INTAKE, ensure_ascii=False)[:-1] + f', "{field}": "x{escaped}y"}}'
    response = Client().post(
        "/api/requests", body, content_type="application/json", headers={"Idempotency-Key": "k"}
    )
    assert response.status_code == 400, response.content
    assert response.json()["errors"] == [
        {
            "field": field,
            "type": "unstorable",
            "message": f"字段 {field} 含有无法保存的字符（NUL 或单独的代理字符）。",
        }
    ]
    assert nothing_written(before)


@pytest.mark.parametrize(
    "body",
    [
        # a surrogate's own UTF-8 bytes, which json.loads reads
        json.dumps({**INTAKE, "text": "x\ud800"}, ensure_ascii=False).encode(
            "utf-8", "surrogatepass"
        ),
        # UTF-16, which json.loads reads too, with an escaped NUL
        json.dumps({**INTAKE, "text": "x\x00"}).encode("utf-16"),
        # a JSON string, not an object, holding a NUL
        b'"\\u0000"',
    ],
)
def test_json_bodies_in_any_encoding_json_reads_are_checked(world: World, body: bytes) -> None:
    before = counts()
    response = Client().post(
        "/api/requests", body, content_type="application/json", headers={"Idempotency-Key": "u"}
    )
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["type"] == "unstorable"
    assert nothing_written(before)


def test_an_escaped_emoji_pair_is_not_refused(world: World) -> None:
    body = json.dumps({**INTAKE, "text": "井盖丢了 \U0001f6a7 很危险"})  # ASCII: \ud83d\udea7
    assert "\\ud83d\\udea7" in body
    response = Client().post(
        "/api/requests", body, content_type="application/json", headers={"Idempotency-Key": "e"}
    )
    assert response.status_code == 201, response.content
    assert "\U0001f6a7" in Case.objects.get(tracking_code=response.json()["tracking_code"]).text


def test_staff_transitions_refuse_it_in_json_and_in_forms(world: World) -> None:
    case = world.cases[0]
    client = signed_in(world)
    before = counts()
    api_answer = client.post(
        f"/api/cases/{case.tracking_code}/reject",
        f'{{"version": {case.version}, "reason": "无效\\u0000"}}',
        content_type="application/json",
    )
    assert api_answer.status_code == 400 and api_answer.json()["errors"][0]["field"] == "reason"
    page = client.post(
        f"/cases/{case.tracking_code}/reject/", {"version": case.version, "note": "无效\x00"}
    )
    assert page.status_code == 400 and "字段 note 含有无法保存的字符" in page.content.decode()
    assert nothing_written(before)
    case.refresh_from_db()
    assert case.state == "submitted"


def test_multipart_fields_headers_query_and_path_are_checked_too(world: World) -> None:
    client = signed_in(world)
    before = counts()
    form = client.post("/intake/patrol/", {"text": "路灯坏了\x00", "photos": []})
    header = client.post(
        "/api/requests",
        json.dumps(INTAKE),
        content_type="application/json",
        headers={"Idempotency-Key": "k\x00"},
    )
    query = client.get("/api/cases", {"before": "2024-01-01\x00"})
    path = client.get("/api/cases/AB%00CD")
    assert form.status_code == 400 and "字段 text" in form.content.decode()
    assert header.json()["errors"][0]["field"] == "Idempotency-Key"
    assert query.json()["errors"][0]["field"] == "before"
    assert path.json()["errors"][0]["field"] == "path"
    assert nothing_written(before)


JSON_OPERATIONS = [
    (method.upper(), path)
    for path, operations in api.get_openapi_schema()["paths"].items()
    for method, operation in operations.items()
    if "application/json" in operation.get("requestBody", {}).get("content", {})
]


@pytest.mark.parametrize("method,path", JSON_OPERATIONS, ids=[" ".join(o) for o in JSON_OPERATIONS])
def test_a_form_sent_where_json_is_taken_is_refused_not_500(world: World, method, path) -> None:  # type: ignore[no-untyped-def]
    # (the door reads a multipart form to check its text; the body cannot be read again)
    client = signed_in(world, raise_request_exception=False)
    url = re.sub(r"{\w+}", "1", path)
    before = counts()
    answer = client.generic(
        method, url, **_multipart({"text": "路灯坏了"}), headers={"Idempotency-Key": "form-1"}
    )
    assert answer.status_code < 500, (url, answer.status_code, answer.content[:300])
    if answer.status_code == 400:
        assert "JSON" in answer.json()["detail"], answer.json()
    assert nothing_written(before)


def _multipart(fields: dict[str, str]) -> dict[str, object]:
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    return {"data": encode_multipart(BOUNDARY, fields), "content_type": MULTIPART_CONTENT}


def test_open311_refuses_it_in_its_own_error_format(world: World) -> None:
    xml = Client().get("/open311/v2/requests.xml", {"service_request_id": "A\x00"})
    assert xml.status_code == 400 and xml["Content-Type"].startswith("text/xml")
    assert b"<code>400</code>" in xml.content and b"service_request_id" in xml.content
    posted = Client().post(
        "/open311/v2/requests.json", {"api_key": world.client_key, "description": "\x00"}
    )
    assert posted.status_code == 400 and posted.json()[0]["code"] == 400


def test_open311_refuses_an_email_its_column_cannot_hold(world: World) -> None:
    """Well formed (the validator takes up to 320 characters) but longer than the 254
    the column holds: a 500 on PostgreSQL before."""
    email = "a" * 64 + "@" + ("b" * 60 + ".") * 3 + "b" * 15 + ".org"
    before = counts()
    response = Client().post(
        "/open311/v2/requests.json",
        {
            "api_key": world.client_key,
            "service_code": "T1",
            "lat": "30.005",
            "long": "120.005",
            "description": "路灯坏了",
            "phone": "13812345678",
            "email": email,
        },
    )
    assert response.status_code == 400
    assert response.json()[0]["description"] == "email 过长（最多 254 个字符）。"
    assert nothing_written(before)


def test_refusals_speak_the_users_language(world: World) -> None:
    english = Client().get("/api/geo/locate?lon=1&lat=\x00", headers={"Accept-Language": "en"})
    assert english.json()["detail"] == (
        "The field lat contains a character that cannot be stored (NUL or a lone surrogate)."
    )
    chinese = signed_in(world).get("/api/geo/locate", {"lon": "nan", "lat": "30"})
    assert chinese.status_code == 400 and chinese.json()["detail"] == "位置不是一对数字。"


@pytest.mark.parametrize(
    "url,status,message",
    [
        ("/api/cases?limit=-1", 422, "limit 必须是 1 到 200 之间的整数。"),
        ("/api/cases?limit=1000000000000000000000000000000", 422, "limit 必须是 1 到 200"),
        ("/api/cases?limit=²", 422, "limit 必须是 1 到 200"),
        ("/api/cases?before=0001-01-01T00:00:00~1", 400, "页码标记无效"),
        ("/api/cases?after=9999-12-31T23:59:59~1", 400, "页码标记无效"),
        ("/api/cases?before=2024-01-01T00:00:00~99999999999999999999", 400, "页码标记无效"),
        ("/api/geo/locate?lon=inf&lat=30", 400, "位置不是一对数字"),
        ("/api/geo/locate?lon=1e309&lat=30", 400, "位置不是一对数字"),
        ("/api/tasks/99999999999999999999/start", 422, "task_id 必须是 1 到"),
    ],
)
def test_numbers_and_page_markers_are_refused_not_500(world: World, url, status, message) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(world)
    response = client.post(url, "{}", "application/json") if "start" in url else client.get(url)
    assert response.status_code == status, response.content
    assert message in response.json()["detail"]


@pytest.mark.parametrize(
    "url,data",
    [
        ("/intake/hotline/aside/", {"text": "楼道杂物很多", "lon": "inf", "lat": "30"}),
        ("/intake/hotline/aside/", {"text": "楼道杂物很多", "place": "²"}),
        ("/cases/?before=0001-01-01T00:00:00~1", None),
        ("/open311/v2/requests.json?start_date=9999-12-31", None),
        ("/open311/v2/requests.json?end_date=0001-01-01", None),
    ],
)
def test_pages_and_open311_take_odd_numbers_without_500(world: World, url, data) -> None:  # type: ignore[no-untyped-def]
    response = signed_in(world).get(url, data)
    assert response.status_code in (200, 400), response.content


def test_the_side_panel_leaves_an_odd_point_out(world: World) -> None:
    """A hint while the operator types: a point not (yet) valid is ignored, by the same
    check that refuses it when the form is sent."""
    response = signed_in(world).get(
        "/intake/hotline/aside/", {"text": "楼道杂物很多", "lon": "nan", "lat": "30"}
    )
    assert response.status_code == 200
    sent = signed_in(world).post(
        "/intake/hotline/", {**INTAKE, "lon": "nan", "lat": "30", "place": ""}
    )
    assert sent.status_code == 400 and "位置不是一对数字" in sent.content.decode()


@pytest.mark.parametrize(
    "url,data",
    [
        ("/cases/{code}/reject/", {"note": "无效", "version": "²"}),
        ("/triage/cases/{code}/", {"category": "T1", "version": "²"}),
        ("/r/", {**INTAKE, "place": "²", "lon": "", "lat": ""}),
        ("/notify/retry/", {"id": "²"}),
        ("/followup/{code}/", {"reached": "0", "version": "²"}),
    ],
)
def test_forms_refuse_digits_int_would_misread(world: World, url, data) -> None:  # type: ignore[no-untyped-def]
    before = counts()
    client = signed_in(world)
    response = client.post(url.format(code=world.cases[0].tracking_code), data, follow=True)
    assert response.status_code in (200, 400)
    assert "必须是" in response.content.decode()
    assert nothing_written(before)


# --- the API's one error shape -----------------------------------------------------------


def test_every_operation_documents_every_refusal_in_the_one_shape() -> None:
    """New operations too: each lists 400–503 with the Error schema (a public one
    without 401 and 403)."""
    spec = api.get_openapi_schema()
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            documented = {int(code) for code in operation["responses"]}
            public = not operation.get("security")
            expected = set(ERRORS) - ({401, 403} if public else set())
            assert expected <= documented, (method, path, expected - documented)
            for code in expected:
                schema = operation["responses"][code]["content"]["application/json"]
                assert schema["schema"] == {"$ref": "#/components/schemas/Error"}, (path, code)


def test_the_validators_422_and_ninjas_own_refusals_fit_the_error_schema(world: World) -> None:
    client = signed_in(world)
    wrong_type = client.get("/api/geo/locate", {"lon": "east", "lat": "30"})
    assert wrong_type.status_code == 422
    assert set(wrong_type.json()) == {"detail", "errors"}
    assert set(wrong_type.json()["errors"][0]) == {"field", "type", "message"}
    anonymous = Client().get("/api/cases")
    assert anonymous.status_code == 401 and anonymous.json() == {
        "detail": "请先登录：此操作需要登录会话。"
    }
    no_csrf = signed_in(world, enforce_csrf_checks=True).post(
        f"/api/cases/{world.cases[0].tracking_code}/remind", "{}", "application/json"
    )
    assert no_csrf.status_code == 403 and "CSRF" in no_csrf.json()["detail"]
    unknown = client.get("/api/no/such/thing")
    assert unknown.status_code == 404 and "没有这个资源" in unknown.json()["detail"]
