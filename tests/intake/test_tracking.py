"""The resident's tracking page: other people's words masked, and tracking codes that
cannot be opened by guessing the last four digits of the phone."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from civicgrid.cases import actions
from civicgrid.cases.models import Case
from civicgrid.org.models import Role
from tests.factories import make_member
from tests.intake.conftest import INSIDE

NAME, PHONE = "周晓梅", "13973125566"


def requested(client: Client) -> Case:
    response = client.post(
        "/r/",
        {
            "text": f"我是{NAME}，住幸福小区7栋2单元1302，电话{PHONE}，楼上每天夜里拖家具。",
            "lon": str(INSIDE[0]),
            "lat": str(INSIDE[1]),
            "phone": PHONE,
            "name": NAME,
            "hide_identity": "1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:1000]
    return Case.objects.get(tracking_code=response["Location"].rstrip("/").rsplit("/", 1)[-1])


def test_the_tracking_page_masks_other_peoples_words(district) -> None:  # type: ignore[no-untyped-def]
    """The page shows the handler's reply to whoever holds the code and four digits: a
    guessed code must show neither the resident's details nor anyone else's."""
    tree, cats = district
    dispatcher = make_member(tree.district, Role.DISPATCHER)
    handler = make_member(tree.communities[0], Role.HANDLER)
    client = Client()
    case = requested(client)
    case = actions.triage_case(case, actor=dispatcher, category=cats["minor"], urgency="normal")
    case = actions.dispatch_case(case, actor=dispatcher)
    case = actions.acknowledge_case(case, actor=handler)
    actions.resolve_case(
        case,
        actor=handler,
        reply=f"已约谈8栋1单元601住户王先生（13812340000）；{NAME}如有问题请回电。",
    )
    page = client.get(f"/r/track/{case.tracking_code}/").content.decode()
    assert "已约谈" in page and "住户" in page and "［门牌］" in page
    for private in ("8栋1单元601", "王先生", "13812340000", NAME, "7栋2单元1302", PHONE):
        assert private not in page, private


def guess(code: str, last4: str, address: str = "10.0.0.1") -> tuple[int, str]:
    response = Client(REMOTE_ADDR=address).post("/r/track/", {"code": code, "last4": last4})
    return response.status_code, response.content.decode()


@pytest.fixture
def limits(settings):  # type: ignore[no-untyped-def]
    settings.INTAKE_RATE_PER_IP = "0/60"  # the general limit out of the way
    settings.TRACK_WRONG_PER_CODE = "5/3600"
    settings.TRACK_WRONG_PER_IP = "20/3600"
    settings.TRACK_LOCKOUT_MINUTES = 30
    return settings


def test_wrong_digits_from_many_addresses_lock_the_code(district, limits, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    case = requested(Client())
    other = requested(Client())
    for i in range(4):
        status, page = guess(case.tracking_code, f"000{i}", address=f"10.0.1.{i}")
        assert status == 404 and "没有与该查询码和手机号相符的诉求" in page
    status, page = guess(case.tracking_code, "0004", address="10.0.1.4")
    assert status == 429
    assert "该查询码" in page and "已锁定 30 分钟" in page and "12345" in page
    # Locked for everyone, the right digits too; the answer names no case.
    status, page = guess(case.tracking_code, PHONE[-4:], address="10.0.9.9")
    assert status == 429 and "已锁定" in page and NAME not in page
    # Another code is not affected.
    assert guess(other.tracking_code, PHONE[-4:], address="10.0.9.9")[0] == 302
    # A code that does not exist locks the same way: the lock tells nothing.
    for i in range(5):
        status, page = guess("NOSUCHCODE", f"111{i}", address=f"10.0.2.{i}")
    assert status == 429 and "已锁定" in page
    # After the lockout the code opens with the right digits, with a fresh allowance.
    later = time.time() + 31 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    assert guess(case.tracking_code, PHONE[-4:], address="10.0.9.8")[0] == 302
    assert guess(case.tracking_code, "0000", address="10.0.9.8")[0] == 404


def test_wrong_digits_are_limited_per_address(district, limits) -> None:  # type: ignore[no-untyped-def]
    limits.TRACK_WRONG_PER_IP = "3/3600"
    cases = [requested(Client()) for _i in range(3)]
    assert guess(cases[0].tracking_code, "0000")[0] == 404
    assert guess(cases[1].tracking_code, "0000")[0] == 404
    status, page = guess(cases[2].tracking_code, "0000")
    assert status == 429 and "您所在网络输错的次数过多" in page and "12345" in page
    # The address is refused even with the right digits; another address is not.
    assert guess(cases[2].tracking_code, PHONE[-4:])[0] == 429
    assert guess(cases[2].tracking_code, PHONE[-4:], address="10.0.0.2")[0] == 302


def test_a_browser_that_opened_the_request_keeps_it_while_the_code_is_locked(
    district, limits
) -> None:  # type: ignore[no-untyped-def]
    resident = Client()
    case = requested(resident)  # the browser that asked remembers the code
    for i in range(5):
        guess(case.tracking_code, f"000{i}", address=f"10.0.3.{i}")
    assert guess(case.tracking_code, PHONE[-4:])[0] == 429
    assert resident.get(f"/r/track/{case.tracking_code}/").status_code == 200
    assert Client().get(f"/r/track/{case.tracking_code}/").status_code == 404
