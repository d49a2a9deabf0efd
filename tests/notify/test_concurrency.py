"""Several workers and writers at once, on PostgreSQL (SQLite has one writer at a time):
an event whose transaction commits after a later one's is not skipped; two workers
never derive the same events or send the same message twice."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from django.db import connection, transaction

from civicgrid.cases import actions as case_actions
from civicgrid.cases.models import Case, CaseEvent, Urgency
from civicgrid.notify import actions, tasks
from civicgrid.notify.adapters import ADAPTERS
from civicgrid.notify.models import Delivery, Notification, Template, Watermark
from civicgrid.org.models import Role
from tests.factories import make_categories, make_member, make_tree, submit
from tests.notify.test_derivation import expected, stored

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def postgres(transactional_db):  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (SQLite serialises writers itself)")


def dispatched(n: int) -> list[Case]:
    tree = make_tree()
    categories = make_categories()
    dispatcher = make_member(tree.district, Role.DISPATCHER)
    make_member(tree.communities[0], Role.HANDLER)
    cases = []
    for _ in range(n):
        case = case_actions.triage_case(
            submit(tree), actor=dispatcher, category=categories["minor"], urgency=Urgency.NORMAL
        )
        cases.append(case_actions.dispatch_case(case, actor=dispatcher))
    return cases


def derive_until_settled(timeout_s: float = 15.0) -> int:
    """Derive until the log is read to its end (other transactions on the server may
    hold the horizon back for a moment)."""
    read, stop = 0, time.monotonic() + timeout_s
    while time.monotonic() < stop:
        step = actions.derive_notifications()
        read += step.events
        if not step.events and not step.waiting and not step.busy:
            return read
        if not step.events:
            time.sleep(0.05)
    raise AssertionError("the derivation never settled")


def test_an_event_committed_after_a_later_one_is_not_skipped(postgres) -> None:  # type: ignore[no-untyped-def]
    early_case, late_case = dispatched(2)
    derive_until_settled()
    written, go = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def slow_transition() -> None:
        from django.db import connection as own

        try:
            with transaction.atomic():
                case_actions.remind_case(early_case, actor=None, note="慢事务")
                written.set()
                go.wait(20)  # its event has an id, not yet committed
        except BaseException as error:  # pragma: no cover - reported below
            failures.append(error)
            written.set()
        finally:
            own.close()

    thread = threading.Thread(target=slow_transition)
    thread.start()
    assert written.wait(20)
    case_actions.remind_case(late_case, actor=None, note="快事务")  # a higher id, committed
    late_event = CaseEvent.objects.get(case=late_case, action="remind")
    for _ in range(5):
        step = actions.derive_notifications()
        assert step.events == 0, "read past an event whose transaction is still open"
        time.sleep(0.02)
    assert step.waiting
    assert Watermark.objects.get().event_id < late_event.pk
    go.set()
    thread.join(20)
    assert not failures, failures
    derive_until_settled()
    for case in (early_case, late_case):
        assert Notification.objects.filter(case=case, template=Template.REMINDER).count() == 1
    assert set(stored()) == expected()


def test_two_workers_derive_each_event_once_while_cases_change(postgres) -> None:  # type: ignore[no-untyped-def]
    cases = dispatched(6)
    derive_until_settled()
    start = Watermark.objects.get().event_id
    writing = threading.Event()
    writing.set()
    read: list[int] = []
    failures: list[BaseException] = []

    def writer() -> None:
        from django.db import connection as own

        try:
            for round_ in range(4):
                for case in cases:
                    case_actions.remind_case(case, actor=None, note=f"第{round_}次")
        except BaseException as error:  # pragma: no cover - reported below
            failures.append(error)
        finally:
            writing.clear()
            own.close()

    def worker() -> None:
        from django.db import connection as own

        try:
            while writing.is_set():
                read.append(actions.derive_notifications(batch=3).events)
            read.append(derive_until_settled())
        except BaseException as error:  # pragma: no cover - reported below
            failures.append(error)
        finally:
            own.close()

    threads = [threading.Thread(target=writer)] + [threading.Thread(target=worker) for _ in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not failures, failures
    total = CaseEvent.objects.filter(pk__gt=start).count()
    assert total == 24
    assert sum(read) == total, "an event was read by both workers, or by none"
    counts = stored()
    assert set(counts) == expected() and max(counts.values()) == 1


def test_two_senders_send_each_message_once(postgres, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    dispatched(10)
    derive_until_settled()
    pending = Notification.objects.filter(state=Delivery.PENDING).count()
    assert pending == 30  # received, dispatched, new case: ten times
    sent: list[int] = []

    def slow_log(notification: Notification) -> None:
        time.sleep(0.01)
        sent.append(notification.pk)

    monkeypatch.setitem(ADAPTERS, "log", slow_log)
    failures: list[BaseException] = []

    def sender() -> None:
        from django.db import connection as own

        try:
            tasks.send_due(tasks.Delivered(), limit=4)
        except BaseException as error:  # pragma: no cover - reported below
            failures.append(error)
        finally:
            own.close()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not failures, failures
    assert Counter(sent) == Counter(Notification.objects.values_list("pk", flat=True))
    assert set(Notification.objects.values_list("state", "attempts")) == {(Delivery.SENT, 1)}
