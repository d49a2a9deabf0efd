"""Messages about no case (a grid call to a grid's people): queued once per person and
channel, sent through the same adapters, shown on the outbox page and in the admin."""

from __future__ import annotations

import pytest
from django.test import Client

from civicgrid.notify import actions, tasks
from civicgrid.notify.adapters import webhook_payload
from civicgrid.notify.models import Delivery, Notification, Template
from civicgrid.notify.rules import Person
from civicgrid.org.models import Role
from tests.factories import UserFactory, make_member, make_tree
from tests.notify.conftest import Gateway

pytestmark = pytest.mark.django_db


def queue(unit_id: int, people: list[Person], topic: str = "grid_call:1") -> int:
    return actions.queue_messages(
        topic=topic,
        template=Template.GRID_CALL,
        people=people,
        unit_id=unit_id,
        subject="一呼百应",
        body="需要2人清理楼道",
        link="/people/calls/1/",
    )


def test_queued_once_per_person_and_channel_and_sent_through_the_gateway(
    settings, gateway: Gateway
) -> None:  # type: ignore[no-untyped-def]
    settings.NOTIFY_ADAPTERS = ["log", "webhook"]
    settings.NOTIFY_WEBHOOK_URL = gateway.url
    tree = make_tree()
    with_phone = UserFactory(username="a", phone="13900001111")
    without = UserFactory(username="b", phone="")
    people = [Person(with_phone.pk, "", "13900001111"), Person(without.pk, "", "")]
    assert queue(tree.grids[0].pk, people) == 3  # log ×2, the gateway ×1
    assert queue(tree.grids[0].pk, people) == 3  # offered again: nothing added
    assert Notification.objects.count() == 3
    row = Notification.objects.get(channel="webhook")
    assert webhook_payload(row)["case"] is None
    assert webhook_payload(row)["topic"] == "grid_call:1"
    assert webhook_payload(row)["recipient"] == {
        "kind": "volunteer",
        "phone": "13900001111",
        "user": "a",
    }
    result = tasks.Delivered()
    tasks.send_due(result)
    assert result.sent == 3
    assert set(Notification.objects.values_list("state", flat=True)) == {Delivery.SENT}
    assert row.recipient_label() == str(with_phone)


def test_the_outbox_page_and_the_admin_show_them(settings) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    user = UserFactory(username="v")
    queue(tree.grids[0].pk, [Person(user.pk)])
    dispatcher = make_member(tree.communities[0], Role.DISPATCHER, username="d")
    client = Client()
    client.force_login(dispatcher)
    page = client.get("/notify/?state=pending")
    assert page.status_code == 200 and "grid_call:1" in page.content.decode()
    other = make_member(tree.communities[1], Role.DISPATCHER, username="d2")
    client.force_login(other)
    assert "grid_call:1" not in client.get("/notify/?state=pending").content.decode()
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(admin)
    row = Notification.objects.get()
    assert client.get("/admin/notify/notification/").status_code == 200
    assert client.get(f"/admin/notify/notification/{row.pk}/change/").status_code == 200
