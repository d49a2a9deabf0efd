"""Sending: the adapters, retries with backoff against a failing gateway, giving up,
retrying by hand, a worker that died mid-send; and a broken gateway never holds up a
transition."""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from datetime import timedelta

from django.core import mail
from django.utils import timezone

from civicgrid.cases import actions as case_actions
from civicgrid.cases.models import Case, State, Urgency
from civicgrid.notify import actions, tasks
from civicgrid.notify.adapters import webhook_payload
from civicgrid.notify.models import Channel, Delivery, Notification, Template
from civicgrid.notify.webhook import sign, verify
from tests.cases.conftest import Staff
from tests.factories import submit
from tests.notify.conftest import SECRET, Gateway, derive_all


def send(now=None) -> tasks.Delivered:  # type: ignore[no-untyped-def]
    result = tasks.Delivered()
    tasks.send_due(result, now=now)
    return result


def use_gateway(settings, gateway: Gateway) -> None:  # type: ignore[no-untyped-def]
    settings.NOTIFY_ADAPTERS = ["webhook"]
    settings.NOTIFY_WEBHOOK_URL = gateway.url


def test_the_gateway_gets_each_message_signed(staff: Staff, settings, gateway: Gateway) -> None:  # type: ignore[no-untyped-def]
    use_gateway(settings, gateway)
    case = submit(staff.tree)
    derive_all()
    assert send().sent == 1
    (message,) = gateway.received
    row = Notification.objects.get()
    assert message == {
        "id": row.pk,
        "template": "received",
        "case": case.tracking_code,
        "topic": "",
        "recipient": {"kind": "resident", "phone": "13812345678"},
        "subject": "您的诉求已受理",
        "text": row.body,
        "link": row.link,
        "created_at": row.created_at.isoformat(),
    }
    assert gateway.statuses == ["204 No Content"]
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == (Delivery.SENT, 1, "")
    assert row.sent_at is not None and row.next_attempt_at is None


def test_a_failing_gateway_is_retried_with_backoff_then_given_up(
    staff: Staff, settings, gateway: Gateway
) -> None:  # type: ignore[no-untyped-def]
    use_gateway(settings, gateway)
    settings.NOTIFY_MAX_ATTEMPTS = 3
    gateway.failing = "503 Service Unavailable"
    submit(staff.tree)
    derive_all()
    t0 = timezone.now()
    assert send(t0).retrying == 1
    row = Notification.objects.get()
    assert (row.state, row.attempts) == (Delivery.PENDING, 1)
    assert row.next_attempt_at == t0 + timedelta(seconds=30)
    assert row.last_error == "HTTP 503 Service Unavailable"
    assert send(t0 + timedelta(seconds=29)).retrying == 0, "not due yet"
    t1 = t0 + timedelta(seconds=30)
    assert send(t1).retrying == 1
    row.refresh_from_db()
    assert row.attempts == 2 and row.next_attempt_at == t1 + timedelta(seconds=60)
    t2 = t1 + timedelta(seconds=60)
    assert send(t2).failed == 1
    row.refresh_from_db()
    assert (row.state, row.attempts, row.next_attempt_at) == (Delivery.FAILED, 3, None)
    assert send(t2 + timedelta(days=1)).sent == 0, "a failed message waits for a person"
    assert len(gateway.statuses) == 3 and not gateway.received

    # The gateway is back; someone retries it: one more attempt, now.
    gateway.failing = ""
    assert actions.retry_now(Notification.objects.all()) == 1
    assert send().sent == 1
    row.refresh_from_db()
    assert (row.state, row.attempts) == (Delivery.SENT, 4)
    assert len(gateway.received) == 1 and gateway.received[0]["id"] == row.pk


def test_the_backoff_doubles_up_to_its_cap(settings) -> None:  # type: ignore[no-untyped-def]
    settings.NOTIFY_RETRY_BASE_S, settings.NOTIFY_RETRY_MAX_S = 30, 3600
    waits = [actions.backoff(n).total_seconds() for n in range(1, 10)]
    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_an_unreachable_gateway_is_a_failure_to_retry(staff: Staff, settings) -> None:  # type: ignore[no-untyped-def]
    settings.NOTIFY_ADAPTERS = ["webhook"]
    settings.NOTIFY_WEBHOOK_URL = "http://127.0.0.1:9/sms"  # discard port: nobody listens
    submit(staff.tree)
    derive_all()
    assert send().retrying == 1
    row = Notification.objects.get()
    assert row.state == Delivery.PENDING and row.attempts == 1 and "URLError" in row.last_error


def test_a_slow_gateway_times_out(staff: Staff, settings, gateway: Gateway) -> None:  # type: ignore[no-untyped-def]
    use_gateway(settings, gateway)
    settings.NOTIFY_WEBHOOK_TIMEOUT_S = 0.2
    gateway.delay_s = 0.6
    submit(staff.tree)
    derive_all()
    started = time.monotonic()
    assert send().retrying == 1
    assert time.monotonic() - started < 0.6
    assert "timed out" in Notification.objects.get().last_error


def test_a_broken_gateway_never_holds_up_a_transition(staff: Staff, settings) -> None:  # type: ignore[no-untyped-def]
    """Transitions write events only; the outbox reads them later. With the gateway down
    every step still succeeds, and its messages wait."""
    settings.NOTIFY_ADAPTERS = ["log", "webhook"]
    settings.NOTIFY_WEBHOOK_URL = "http://127.0.0.1:9/sms"
    case = submit(staff.tree)
    derive_all()
    send()
    case = case_actions.triage_case(
        case,
        actor=staff.district_dispatcher,
        category=staff.categories["minor"],
        urgency=Urgency.NORMAL,
    )
    case = case_actions.dispatch_case(case, actor=staff.district_dispatcher)
    case = case_actions.acknowledge_case(case, actor=staff.community_handler)
    derive_all()
    result = send()
    assert Case.objects.get(pk=case.pk).state == State.HANDLING
    # The log's went (the resident's and the handler's); the gateway's wait (the first
    # one's next attempt is not due yet).
    assert result.sent == 2 and result.retrying == 1
    waiting = Notification.objects.filter(channel=Channel.WEBHOOK)
    assert set(waiting.values_list("state", flat=True)) == {Delivery.PENDING}
    assert set(waiting.values_list("template", flat=True)) == {
        Template.RECEIVED,
        Template.DISPATCHED,
    }


def test_a_message_nobody_can_receive_fails_at_once(
    staff: Staff, settings, gateway: Gateway
) -> None:  # type: ignore[no-untyped-def]
    use_gateway(settings, gateway)
    case = submit(staff.tree)
    derive_all()
    case.contact.phone = ""  # (a number erased after the message was made)
    case.contact.save()
    assert send().failed == 1
    row = Notification.objects.get()
    assert row.state == Delivery.FAILED and row.last_error == "没有可发送的手机号码。"


def test_an_adapter_that_raises_does_not_stop_the_others(staff: Staff, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from civicgrid.notify.adapters import ADAPTERS

    calls = []

    def flaky(notification: Notification) -> None:
        calls.append(notification.pk)
        if len(calls) == 1:
            raise KeyError("a bug")

    monkeypatch.setitem(ADAPTERS, "log", flaky)
    submit(staff.tree)
    submit(staff.tree)
    derive_all()
    result = send()
    assert (result.sent, result.retrying) == (1, 1) and len(calls) == 2


def test_a_message_left_sending_by_a_dead_worker_is_sent_again(staff: Staff, settings) -> None:  # type: ignore[no-untyped-def]
    settings.NOTIFY_SENDING_TIMEOUT_S = 300
    submit(staff.tree)
    derive_all()
    t0 = timezone.now()
    (_taken,) = actions.claim_due(now=t0)  # … and the worker dies
    assert Notification.objects.get().state == Delivery.SENDING
    assert send(t0 + timedelta(seconds=60)).sent == 0, "its worker may still be at it"
    result = send(t0 + timedelta(seconds=301))
    assert (result.released, result.sent) == (1, 1)
    row = Notification.objects.get()
    assert (row.state, row.attempts) == (Delivery.SENT, 2)


def test_email_goes_to_staff_with_an_address(staff: Staff, settings) -> None:  # type: ignore[no-untyped-def]
    settings.NOTIFY_ADAPTERS = ["email"]
    staff.community_handler.email = "sq@example.cn"
    staff.community_handler.save()
    case = case_actions.triage_case(
        submit(staff.tree),
        actor=staff.district_dispatcher,
        category=staff.categories["minor"],
        urgency=Urgency.NORMAL,
    )
    case_actions.dispatch_case(case, actor=staff.district_dispatcher)
    derive_all()
    # The resident gave no address; the handler did.
    assert list(Notification.objects.values_list("template", "user")) == [
        (Template.NEW_CASE, staff.community_handler.pk)
    ]
    assert send().sent == 1
    (email,) = mail.outbox
    assert email.to == ["sq@example.cn"] and email.subject == f"新工单 {case.tracking_code}"
    assert "请及时签收" in email.body


def test_the_log_adapter_writes_the_message_without_the_number(staff: Staff, caplog) -> None:  # type: ignore[no-untyped-def]
    case = submit(staff.tree)
    derive_all()
    with caplog.at_level(logging.INFO, logger="civicgrid.notify"):
        assert send().sent == 1
    (line,) = [r.getMessage() for r in caplog.records if r.name == "civicgrid.notify"]
    assert case.tracking_code in line and "138****5678" in line and "13812345678" not in line


# --- the signature and the test receiver ----------------------------------------------------


def test_verify_accepts_only_the_signed_body_within_the_tolerance() -> None:
    body = json.dumps({"id": 1, "text": "您好"}, ensure_ascii=False).encode()
    now = 1_718_000_000
    ts = str(now)
    good = sign(SECRET, ts, body)
    assert good.startswith("sha256=") and len(good) == 7 + 64
    assert verify(SECRET, ts, body, good, now=now + 10)
    assert not verify(SECRET, ts, body + b" ", good, now=now), "a changed body"
    assert not verify("another-secret", ts, body, good, now=now), "another secret"
    assert not verify(SECRET, str(now + 1), body, good, now=now), "another timestamp"
    assert not verify(SECRET, ts, body, good, now=now + 301), "a replay, too late"
    assert not verify(SECRET, "yesterday", body, good, now=now)
    assert not verify(SECRET, ts, body, "", now=now)


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_receiver_refuses_a_bad_signature(gateway: Gateway) -> None:
    body = b'{"id": 7, "text": "hello"}'
    ts = str(int(time.time()))
    headers = {"X-Civicgrid-Timestamp": ts, "Content-Type": "application/json"}
    forged = {**headers, "X-Civicgrid-Signature": sign("guessed", ts, body)}
    assert _post(gateway.url, body, forged) == 401
    assert _post(gateway.url, body, headers) == 401
    stale = str(int(time.time()) - 3600)
    old = {"X-Civicgrid-Timestamp": stale, "X-Civicgrid-Signature": sign(SECRET, stale, body)}
    assert _post(gateway.url, body, old) == 401
    assert gateway.received == []
    signed = {**headers, "X-Civicgrid-Signature": sign(SECRET, ts, body)}
    assert _post(gateway.url, body, signed) == 204
    assert gateway.received == [{"id": 7, "text": "hello"}]


def test_the_payload_of_a_staff_message_names_the_user(staff: Staff) -> None:
    staff.community_handler.phone = "13900000001"
    staff.community_handler.save()
    case = case_actions.triage_case(
        submit(staff.tree),
        actor=staff.district_dispatcher,
        category=staff.categories["minor"],
        urgency=Urgency.NORMAL,
    )
    case_actions.dispatch_case(case, actor=staff.district_dispatcher)
    derive_all()
    row = Notification.objects.select_related("case__contact", "user").get(
        template=Template.NEW_CASE
    )
    payload = webhook_payload(row)
    assert payload["recipient"] == {
        "kind": "staff",
        "phone": "13900000001",
        "user": staff.community_handler.username,
    }
