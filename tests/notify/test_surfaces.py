"""Where people see the outbox: the API (a case's notifications), the outbox page, the
admin, the ``civicgrid notify`` command, and the worker's scheduling."""

from __future__ import annotations

import json
from io import StringIO

from django.core.management import call_command
from django.test import Client
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from civicgrid.cases import actions
from civicgrid.cases.models import Case, Urgency
from civicgrid.notify.models import Delivery, Notification, Template
from civicgrid.notify.tasks import DELIVER_TASK_PATH, schedule_delivery
from civicgrid.org.models import Role
from tests.cases.conftest import Staff
from tests.factories import UserFactory, make_member, submit
from tests.notify.conftest import derive_all


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def dispatched_in(staff: Staff, grid_index: int) -> Case:
    case = actions.triage_case(
        submit(staff.tree, grid_index=grid_index),
        actor=staff.district_dispatcher,
        category=staff.categories["minor"],
        urgency=Urgency.NORMAL,
    )
    return actions.dispatch_case(case, actor=staff.district_dispatcher)


# --- the API ------------------------------------------------------------------------------------


def test_the_api_lists_a_cases_notifications_to_those_who_see_it(staff: Staff) -> None:
    case = dispatched_in(staff, 0)  # community 0
    derive_all()
    response = client_for(staff.community_handler).get(
        f"/api/cases/{case.tracking_code}/notifications"
    )
    assert response.status_code == 200
    rows = response.json()
    assert [(r["template"], r["recipient_kind"], r["state"]) for r in rows] == [
        ("new_case", "staff", "pending"),
        ("dispatched", "resident", "pending"),
        ("received", "resident", "pending"),
    ]
    assert rows[2]["recipient"] == "群众 138****5678" and rows[2]["template_label"] == "诉求已受理"
    assert rows[0]["recipient"] == str(staff.community_handler) and rows[0]["event_seq"] == 3
    assert "13812345678" not in response.content.decode()


def test_the_api_refuses_a_case_of_another_community(staff: Staff) -> None:
    case = dispatched_in(staff, 0)
    derive_all()
    url = f"/api/cases/{case.tracking_code}/notifications"
    refused = client_for(staff.other_community_handler).get(url)
    assert refused.status_code == 404
    assert refused.json() == {"detail": f"没有找到您有权查看的工单 {case.tracking_code}。"}
    assert Client().get(url).status_code == 401
    assert client_for(staff.outsider).get(url).status_code == 404


def test_the_api_documents_its_answers(staff: Staff) -> None:
    paths = client_for(staff.leader).get("/api/openapi.json").json()["paths"]
    answers = paths["/api/cases/{code}/notifications"]["get"]["responses"]
    assert {"200", "401", "404"} <= set(answers)


# --- the outbox page ---------------------------------------------------------------------------


def test_the_outbox_page_is_for_administrators_and_dispatchers(staff: Staff) -> None:
    assert client_for(staff.community_handler).get("/notify/").status_code == 403
    assert client_for(staff.grid_worker).get("/notify/").status_code == 403
    assert Client().get("/notify/").status_code == 302
    assert client_for(staff.street_dispatcher).get("/notify/").status_code == 200
    admin = make_member(staff.tree.district, Role.ADMIN)
    assert client_for(admin).get("/notify/").status_code == 200
    nav = client_for(staff.street_dispatcher).get("/").context["nav_items"]
    assert "发件箱" in [str(link.label) for link in nav]
    nav = client_for(staff.community_handler).get("/").context["nav_items"]
    assert "发件箱" not in [str(link.label) for link in nav]


def test_a_dispatcher_sees_the_outbox_of_their_own_cases_failures_first(staff: Staff) -> None:
    mine = dispatched_in(staff, 0)  # street 0
    theirs = dispatched_in(staff, 8)  # street 1
    derive_all()
    Notification.objects.filter(case=mine, template=Template.RECEIVED).update(
        state=Delivery.FAILED, attempts=6, last_error="HTTP 503 Service Unavailable"
    )
    Notification.objects.filter(case=theirs).update(state=Delivery.FAILED)
    page = client_for(staff.street_dispatcher).get("/notify/")
    assert page.context["state"] == Delivery.FAILED
    shown = page.context["page"].items
    assert [(n.case_id, n.template) for n in shown] == [(mine.pk, Template.RECEIVED)]
    html = page.content.decode()
    assert "HTTP 503 Service Unavailable" in html and "6 次" in html
    everything = client_for(staff.street_dispatcher).get("/notify/?state=pending&channel=log")
    assert {n.case_id for n in everything.context["page"].items} == {mine.pk}
    district = client_for(staff.district_dispatcher).get("/notify/")
    assert {n.case_id for n in district.context["page"].items} == {mine.pk, theirs.pk}


def test_retry_now_from_the_page_touches_only_what_one_may_see(staff: Staff) -> None:
    mine = dispatched_in(staff, 0)
    theirs = dispatched_in(staff, 8)
    derive_all()
    Notification.objects.update(state=Delivery.FAILED, next_attempt_at=None)
    other = Notification.objects.filter(case=theirs).first()
    client = client_for(staff.street_dispatcher)
    response = client.post("/notify/retry/", {"id": other.pk, "back": "state=failed"})
    assert response.status_code == 302 and response["Location"] == "/notify/?state=failed"
    other.refresh_from_db()
    assert other.state == Delivery.FAILED
    client.post("/notify/retry/", {})  # every failed one this person may see
    states = dict(Notification.objects.values_list("case", "state").distinct())
    assert states == {mine.pk: Delivery.PENDING, theirs.pk: Delivery.FAILED}
    assert client_for(staff.community_handler).post("/notify/retry/", {}).status_code == 403


# --- the admin ---------------------------------------------------------------------------------


def test_the_admin_lists_the_outbox_and_retries(staff: Staff) -> None:
    case = dispatched_in(staff, 0)
    derive_all()
    Notification.objects.update(state=Delivery.FAILED, next_attempt_at=None)
    admin = client_for(UserFactory(is_superuser=True, is_staff=True))
    listing = admin.get("/admin/notify/notification/?state__exact=failed")
    assert listing.status_code == 200 and case.tracking_code in listing.content.decode()
    row = Notification.objects.first()
    assert admin.get(f"/admin/notify/notification/{row.pk}/change/").status_code == 200
    ids = list(Notification.objects.values_list("pk", flat=True))
    response = admin.post(
        "/admin/notify/notification/",
        {"action": "retry", "_selected_action": ids},
    )
    assert response.status_code == 302
    assert set(Notification.objects.values_list("state", flat=True)) == {Delivery.PENDING}


# --- the command and the worker ------------------------------------------------------------------


def test_civicgrid_notify_runs_a_round_and_says_what_waits(staff: Staff) -> None:
    dispatched_in(staff, 0)
    out = StringIO()
    call_command("notify", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["derived"] == 3 and summary["sent"] == 3
    assert summary["now"] == {"pending": 0, "sending": 0, "failed": 0}
    Notification.objects.update(state=Delivery.FAILED)
    out = StringIO()
    call_command("notify", "--retry-failed", stdout=out)
    assert json.loads(out.getvalue())["made_due"] == 3
    assert set(Notification.objects.values_list("state", flat=True)) == {Delivery.SENT}


def test_one_round_waits_at_a_time_and_the_sweep_keeps_it_going(db) -> None:  # type: ignore[no-untyped-def]
    from civicgrid.dispatch.tasks import sweep_deadlines

    waiting = DBTaskResult.objects.filter(
        task_path=DELIVER_TASK_PATH, status=TaskResultStatus.READY
    )
    sweep_deadlines.call()
    assert waiting.count() == 1
    assert schedule_delivery() is False
    waiting.delete()
    assert schedule_delivery() is True and waiting.count() == 1


def test_the_round_as_a_task_reschedules_itself(db) -> None:  # type: ignore[no-untyped-def]
    from civicgrid.notify.tasks import deliver_notifications

    summary = deliver_notifications.call()
    assert summary == {
        "events": 0,
        "derived": 0,
        "sent": 0,
        "retrying": 0,
        "failed": 0,
        "released": 0,
    }
    later = DBTaskResult.objects.get(task_path=DELIVER_TASK_PATH, status=TaskResultStatus.READY)
    assert later.run_after is not None


def test_the_outbox_page_reads_a_page_in_a_fixed_number_of_queries(
    staff: Staff, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    for i in range(8):
        dispatched_in(staff, i % 4)
    derive_all()
    client = client_for(staff.district_dispatcher)
    # session, user, scope (memberships, reach), two counts, the page's keys and rows,
    # the navigation's department check
    with django_assert_max_num_queries(12):
        page = client.get("/notify/?state=pending")
    assert len(page.context["page"].items) == 24
