"""The resident's tracking page: other people's words masked."""

from __future__ import annotations

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
