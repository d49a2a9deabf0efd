"""POST /api/requests: idempotent, validated, rate-limited; every refusal creates nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from civicgrid.cases.models import Case, CaseEvent, State, Urgency
from civicgrid.intake.models import IdempotencyKey
from tests.intake.conftest import INSIDE, OUTSIDE

GOOD = {
    "title": "小区门口路灯不亮",
    "text": "幸福小区东门口的路灯已经坏了一周，晚上很黑。",
    "lon": INSIDE[0],
    "lat": INSIDE[1],
    "phone": "13812345678",
}


def post(body: dict[str, Any], key: str = "k-1", client: Client | None = None):  # type: ignore[no-untyped-def]
    return (client or Client()).post(
        "/api/requests",
        json.dumps(body, ensure_ascii=False),
        content_type="application/json",
        headers={"Idempotency-Key": key} if key else {},
    )


def nothing_stored() -> bool:
    return not Case.objects.exists() and not CaseEvent.objects.exists()


def test_a_request_is_located_and_gets_a_tracking_code(district) -> None:  # type: ignore[no-untyped-def]
    tree, _ = district
    response = post(GOOD)
    assert response.status_code == 201, response.content
    body = response.json()
    case = Case.objects.get(tracking_code=body["tracking_code"])
    assert body["created"] is True and case.state == State.SUBMITTED
    assert case.grid == tree.grids[0] and case.channel == "api"
    assert case.contact.phone == "13812345678"
    assert [e.action for e in case.events.all()] == ["submit"]


def test_the_same_key_twice_returns_the_same_case(district) -> None:  # type: ignore[no-untyped-def]
    first = post(GOOD, key="abc")
    second = post(GOOD, key="abc")
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["tracking_code"] == second.json()["tracking_code"]
    assert second.json()["created"] is False
    assert Case.objects.count() == 1 and IdempotencyKey.objects.count() == 1


def test_the_same_key_with_another_body_is_refused(district) -> None:  # type: ignore[no-untyped-def]
    post(GOOD, key="abc")
    response = post({**GOOD, "text": "另一件事：楼下烧烤油烟很大。"}, key="abc")
    assert response.status_code == 409
    assert "Idempotency-Key" in response.json()["detail"]
    assert Case.objects.count() == 1


def test_emergency_words_skip_the_queue(district) -> None:  # type: ignore[no-untyped-def]
    response = post({**GOOD, "text": "三号楼楼道里有很浓的煤气味，快来人！"})
    case = Case.objects.get(tracking_code=response.json()["tracking_code"])
    assert case.urgency == Urgency.EMERGENCY


@pytest.mark.parametrize(
    "change,status,message",
    [
        ({"lon": OUTSIDE[0], "lat": OUTSIDE[1]}, 400, "不在本区范围内"),
        ({"lon": 500.0, "lat": 30.0}, 400, "不在地球上"),
        ({"lon": None}, 400, "经度和纬度"),
        ({"text": "   "}, 400, "请描述"),
        ({"text": "很" * 5001}, 400, "描述过长"),
        ({"phone": "12345"}, 400, "不是有效的中国大陆手机号"),
        ({"phone": ""}, 400, "请留下手机号"),
        ({"category": "NO-SUCH"}, 400, "未知的事项类别"),
        ({"place": 999999, "lon": None, "lat": None}, 400, "地名"),
    ],
)
def test_bad_input_is_refused_and_nothing_stored(district, change, status, message) -> None:  # type: ignore[no-untyped-def]
    response = post({**GOOD, **change})
    assert response.status_code == status, response.content
    assert message in response.json()["detail"]
    assert nothing_stored() and not IdempotencyKey.objects.exists()


@pytest.mark.parametrize(
    "body,message",
    [
        ({**GOOD, "lon": "东经120度"}, "lon 必须是数字"),
        ({**GOOD, "hide_identity": "maybe"}, "hide_identity 必须是 true 或 false"),
        ({k: v for k, v in GOOD.items() if k != "text"}, "缺少必填项 text"),
        ("{not json", "请求正文不是有效的 JSON"),
    ],
)
def test_malformed_requests_are_refused_in_chinese(district, body, message) -> None:  # type: ignore[no-untyped-def]
    data = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    response = Client().post(
        "/api/requests", data, content_type="application/json", headers={"Idempotency-Key": "k"}
    )
    assert response.status_code in (400, 422), response.content
    assert message in response.json()["detail"], response.json()
    assert nothing_stored()


def test_missing_key_and_10_mb_body_are_refused(district) -> None:  # type: ignore[no-untyped-def]
    missing = post(GOOD, key="")
    assert missing.status_code == 422
    assert "缺少必填项 Idempotency-Key" in missing.json()["detail"]
    huge = post({**GOOD, "text": "长" * (10 * 1024 * 1024 // 3)})
    assert huge.status_code in (400, 413)
    assert nothing_stored()


def test_rate_limits_per_ip_and_per_phone(district, settings) -> None:  # type: ignore[no-untyped-def]
    settings.INTAKE_RATE_PER_IP = "3/600"
    for i in range(3):
        assert post({**GOOD, "phone": f"1391234567{i}"}, key=f"ip-{i}").status_code == 201
    refused = post(GOOD, key="ip-4")
    assert refused.status_code == 429 and "请求过于频繁" in refused.json()["detail"]
    assert Case.objects.count() == 3

    settings.INTAKE_RATE_PER_IP = "100/600"
    settings.INTAKE_RATE_PER_PHONE = "2/3600"
    for i in range(2):
        assert post({**GOOD, "phone": "13700000000"}, key=f"ph-{i}").status_code == 201
    assert post({**GOOD, "phone": "13700000000"}, key="ph-3").status_code == 429
    assert Case.objects.count() == 5


def test_the_api_documents_the_idempotency_key_header(db) -> None:  # type: ignore[no-untyped-def]
    spec = Client().get("/api/openapi.json").json()
    operation = spec["paths"]["/api/requests"]["post"]
    (header,) = [p for p in operation["parameters"] if p["in"] == "header"]
    assert header["name"] == "Idempotency-Key" and header["required"] is True
    assert set(operation["requestBody"]["content"]["application/json"]["schema"].values()) == {
        "#/components/schemas/RequestIn"
    }
    assert {"tracking_code", "state", "created"} <= set(
        spec["components"]["schemas"]["RequestOut"]["properties"]
    )


def test_a_database_that_cannot_write_now_gets_503_not_500(district, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """SQLite's write lock held past its timeout by another writer (the demo's history
    filling in behind a running server) is a moment's refusal, said in Chinese."""
    from django.db import OperationalError

    import civicgrid.intake.api as intake_api

    def locked(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError("database is locked")

    monkeypatch.setattr(intake_api, "receive_once", locked)
    response = post(GOOD, key="busy-1")
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "系统繁忙" in response.json()["detail"], response.json()
    assert nothing_stored()
