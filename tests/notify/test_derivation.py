"""Notifications are derived from the event log exactly once: whatever the batches, the
repeats and the crashes, each (event, recipient, channel) gives one row."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicgrid.cases import actions as case_actions
from civicgrid.cases import clock
from civicgrid.cases.models import CaseEvent, Urgency
from civicgrid.errors import Refusal
from civicgrid.notify import actions
from civicgrid.notify.models import Notification, Template, Watermark
from tests.cases.conftest import Staff
from tests.cases.test_permissions import FUNCTIONS
from tests.cases.test_properties import kwargs_for
from tests.factories import submit
from tests.notify.conftest import derive_all

Key = tuple[int, str, str]


def stored() -> Counter[Key]:
    return Counter(Notification.objects.values_list("event_id", "recipient_key", "channel"))


def expected() -> set[Key]:
    """What the whole log gives, derived afresh (nothing saved)."""
    events = list(CaseEvent.objects.order_by("pk"))
    rows = actions.notifications_of(events, now=timezone.now())
    return {(n.event_id, n.recipient_key, n.channel) for n in rows}


def _a_dispatched_case(staff: Staff, category: str = "minor"):  # type: ignore[no-untyped-def]
    case = case_actions.triage_case(
        submit(staff.tree),
        actor=staff.district_dispatcher,
        category=staff.categories[category],
        urgency=Urgency.NORMAL,
    )
    return case_actions.dispatch_case(case, actor=staff.district_dispatcher)


def test_deriving_again_makes_nothing_new(staff: Staff, settings) -> None:  # type: ignore[no-untyped-def]
    settings.NOTIFY_ADAPTERS = ["log", "email", "webhook"]
    staff.community_handler.email = "sq@example.cn"
    staff.community_handler.phone = "13900000001"
    staff.community_handler.save()
    _a_dispatched_case(staff)
    derive_all()
    first = stored()
    assert first and max(first.values()) == 1
    # The resident: log and gateway (no e-mail address is kept); the handler: all three.
    assert {(k, c) for _e, k, c in first} == {
        ("resident", "log"),
        ("resident", "webhook"),
        (f"user:{staff.community_handler.pk}", "log"),
        (f"user:{staff.community_handler.pk}", "email"),
        (f"user:{staff.community_handler.pk}", "webhook"),
    }
    assert derive_all() == 0
    assert stored() == first
    assert Watermark.objects.get().event_id == CaseEvent.objects.order_by("pk").last().pk


def test_a_watermark_put_back_cannot_duplicate_a_message(staff: Staff) -> None:
    """The unique (event, recipient, channel) stands behind the watermark."""
    _a_dispatched_case(staff)
    derive_all()
    first = stored()
    Watermark.objects.update(event_id=0, pending_event_id=None)
    assert derive_all() == 3  # read again
    assert stored() == first


def test_a_crash_mid_derivation_leaves_nothing_and_is_redone_once(
    staff: Staff, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    _a_dispatched_case(staff)

    def crash(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("the worker died before its commit")

    real = Watermark.save
    monkeypatch.setattr(Watermark, "save", crash)
    with pytest.raises(RuntimeError):
        derive_all()
    assert not Notification.objects.exists()
    assert not Watermark.objects.filter(event_id__gt=0).exists()
    monkeypatch.setattr(Watermark, "save", real)
    derive_all()
    assert set(stored()) == expected() and max(stored().values()) == 1


def test_events_older_than_the_age_limit_give_no_message(staff: Staff, settings) -> None:  # type: ignore[no-untyped-def]
    settings.NOTIFY_MAX_AGE_HOURS = 24
    with clock.at(timezone.now() - timedelta(days=3)):
        old = submit(staff.tree)
    new = submit(staff.tree)
    derive_all()
    assert not Notification.objects.filter(case=old).exists()
    assert Notification.objects.filter(case=new, template=Template.RECEIVED).count() == 1


def test_the_outbox_starts_at_the_present(staff: Staff) -> None:
    """The migration puts the watermark after the history already there: switching the
    outbox on sends nothing about the past."""
    import importlib

    migration = importlib.import_module("civicgrid.notify.migrations.0002_watermark_at_the_present")
    before = submit(staff.tree)
    migration.start_at_the_last_event(apps, None)
    after = submit(staff.tree)
    derive_all()
    assert not Notification.objects.filter(case=before).exists()
    assert Notification.objects.filter(case=after).exists()


def test_a_batch_is_read_with_a_fixed_number_of_queries(
    staff: Staff, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    for _ in range(6):
        _a_dispatched_case(staff)
    case_actions.whistle_case(
        _a_dispatched_case(staff, "moderate"),
        actor=staff.district_dispatcher,
        lead=staff.tree.department,
    )
    derive_all()  # (the watermark's row made) …
    Notification.objects.all().delete()
    Watermark.objects.update(event_id=0, pending_event_id=None)  # … and put back
    # the observation, the watermark (lock, save), the events, their cases, the
    # units, the members, the insert; savepoints
    with django_assert_max_num_queries(12):
        step = actions.derive_notifications()
    assert step.events == CaseEvent.objects.count() and step.notifications > 20


STEPS = st.lists(
    st.one_of(
        st.tuples(
            st.just("act"),
            st.sampled_from(sorted(FUNCTIONS)),
            st.sampled_from(["district_dispatcher", "community_handler", "grid_worker", None]),
            st.booleans(),
        ),
        st.tuples(st.just("derive"), st.integers(min_value=1, max_value=4), st.booleans()),
    ),
    min_size=1,
    max_size=25,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
def test_any_interleaving_of_steps_and_derivations_gives_each_message_once(
    staff: Staff, steps
) -> None:  # type: ignore[no-untyped-def]
    """Random transitions, with derivations of random batch sizes in between (some
    repeated at once): in the end, exactly the messages of the whole log, each once."""
    with transaction.atomic():
        other = submit(staff.tree, title="另一条诉求")
        case = submit(staff.tree)
        for step in steps:
            if step[0] == "derive":
                _kind, batch, twice = step
                for _ in range(2 if twice else 1):
                    actions.derive_notifications(batch=batch)
                continue
            _kind, action, actor_name, flag = step
            actor = getattr(staff, actor_name) if actor_name else None
            try:
                case = FUNCTIONS[action](
                    case, actor=actor, **kwargs_for(action, staff, flag, other)
                )
            except Refusal:
                case.refresh_from_db()
        derive_all()
        counts = stored()
        assert set(counts) == expected()
        assert max(counts.values(), default=1) == 1
        transaction.set_rollback(True)
