"""Every change to the outbox: notifications derived from the event log, taken by a
worker, sent, failed and retried. Nothing else writes a notification.

Deriving is exactly once per (event, recipient, channel): one transaction writes an
event batch's notifications and moves the watermark past it, so a crash leaves
neither, and the watermark row is locked (``SKIP LOCKED`` on PostgreSQL; SQLite has one
writer) so two workers never read the same events; a unique constraint stands behind
both. Sending is at least once: a worker that dies between the gateway's answer and
recording it leaves the row ``sending``, and it is tried again after
``NOTIFY_SENDING_TIMEOUT_S`` (the webhook carries the notification's id, so a gateway
can drop a repeat).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.models import Action, Case, CaseEvent, WhistleTask
from civicgrid.notify import horizon, rules
from civicgrid.notify.models import Delivery, Notification, RecipientKind, Watermark
from civicgrid.org.models import Membership, Unit

log = logging.getLogger(__name__)

# On PostgreSQL, a transaction left open holds the watermark back (see horizon.py): said
# in the log once it has done so this long.
HELD_BACK_WARNING = timedelta(minutes=5)
# Where a message's error text is cut (a gateway's whole HTML error page helps nobody).
ERROR_CHARS = 1000
ABANDONED = _("The worker stopped while sending; tried again.")


def in_district_language(text: object) -> str:
    """A text stored for people to read later (an error): in the district's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)


# --- deriving ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Derived:
    events: int = 0  # events read past the watermark
    notifications: int = 0  # rows written
    busy: bool = False  # another worker is deriving now
    waiting: bool = False  # newer events seen, not yet settled (PostgreSQL): derive again soon


def _lock_watermark() -> Watermark | None:
    """The watermark row, locked; None while another worker holds it."""
    rows = Watermark.objects.filter(pk=1)
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True)
    mark = rows.first()
    if mark is None and not Watermark.objects.filter(pk=1).exists():
        # First use (the migration writes it; a test database flushed does not).
        Watermark.objects.bulk_create([Watermark(pk=1)], ignore_conflicts=True)
        mark = rows.first()
    return mark


def derive_notifications(*, batch: int | None = None, now: datetime | None = None) -> Derived:
    """One transaction: the notifications of the next settled events past the watermark
    (up to ``batch`` events), written, and the watermark moved past those events."""
    batch = batch or settings.NOTIFY_BATCH
    now = now or timezone.now()
    with transaction.atomic():
        seen = horizon.observe()  # first: see horizon.py
        mark = _lock_watermark()
        if mark is None:
            return Derived(busy=True)
        safe = mark.event_id
        if seen.settled:
            safe = max(safe, seen.event_id)
        elif mark.pending_event_id is not None and horizon.settled(mark.pending_writers):
            safe = max(safe, mark.pending_event_id)
        events = list(
            CaseEvent.objects.filter(pk__gt=mark.event_id, pk__lte=safe).order_by("pk")[:batch]
        )
        rows = notifications_of(events, now=now)
        Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
        mark.event_id = events[-1].pk if len(events) == batch else safe
        if mark.pending_event_id is None or mark.event_id >= mark.pending_event_id:
            # What this derivation saw and could not read yet, for a later one.
            ahead = not seen.settled and seen.event_id > mark.event_id
            mark.pending_event_id = seen.event_id if ahead else None
            mark.pending_writers = list(seen.writers) if ahead else []
            mark.pending_since = now if ahead else None
        mark.save()
    waiting = mark.pending_event_id is not None and mark.pending_event_id > mark.event_id
    if waiting and mark.pending_since and now - mark.pending_since > HELD_BACK_WARNING:
        log.warning(
            "notifications of events %s..%s held back since %s by a transaction still open",
            mark.event_id + 1,
            mark.pending_event_id,
            mark.pending_since,
        )
    return Derived(events=len(events), notifications=len(rows), waiting=waiting)


def notifications_of(events: Sequence[CaseEvent], *, now: datetime) -> list[Notification]:
    """The rows ``events`` give (unsaved): each message of ``rules.messages_for`` through
    each configured channel that can reach its recipient. Events older than
    ``NOTIFY_MAX_AGE_HOURS`` give none. A fixed number of queries, whatever the batch."""
    oldest = now - timedelta(hours=settings.NOTIFY_MAX_AGE_HOURS)
    fresh = [e for e in events if e.at >= oldest]
    if not fresh:
        return []
    cases = Case.objects.select_related("contact").in_bulk({e.case_id for e in fresh})
    staff = staff_for(fresh)
    rows = []
    for event in fresh:
        case = cases.get(event.case_id)
        if case is None:
            continue
        for message in rules.messages_for(event, case, staff):
            for channel in settings.NOTIFY_ADAPTERS:
                if not rules.reachable(message.recipient, channel, case, staff):
                    continue
                rows.append(
                    Notification(
                        case_id=case.pk,
                        event_id=event.pk,
                        template=message.template,
                        recipient_kind=message.recipient.kind,
                        recipient_key=message.recipient.key,
                        user_id=message.recipient.user_id,
                        unit_id=message.recipient.unit_id,
                        channel=channel,
                        subject=message.subject[:200],
                        body=message.body,
                        link=message.link[:300],
                        state=Delivery.PENDING,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
    return rows


def staff_for(events: Iterable[CaseEvent]) -> rules.Staff:
    """The staff who could be told about ``events``: the members of the units the
    events move cases to, of the departments whistled, of the departments whose
    check-in is late; with their units' names (two or three queries)."""
    unit_ids: set[int] = set()
    codes: set[str] = set()
    task_ids: set[int] = set()
    for event in events:
        if event.to_unit_id:
            unit_ids.add(event.to_unit_id)
        if event.action == Action.WHISTLE:
            named = [event.data.get("lead"), *event.data.get("assisting", [])]
            codes.update(str(code) for code in named if code)
        deadline = str(event.data.get("deadline") or "")
        if deadline.startswith("check_in:") and deadline[9:].isdigit():
            task_ids.add(int(deadline[9:]))
    task_departments = {}
    if task_ids:
        task_departments = dict(
            WhistleTask.objects.filter(pk__in=task_ids).values_list("pk", "department_id")
        )
        unit_ids.update(task_departments.values())
    names, departments = {}, {}
    for pk, code, name in Unit.objects.filter(Q(pk__in=unit_ids) | Q(code__in=codes)).values_list(
        "pk", "code", "name"
    ):
        names[pk] = name
        if code in codes:
            departments[code] = pk
    members: dict[int, list[tuple[int, str]]] = defaultdict(list)
    people = {}
    rows = Membership.objects.filter(
        unit_id__in=names.keys(), active=True, user__is_active=True
    ).values_list("unit_id", "user_id", "role", "user__email", "user__phone")
    for unit_id, user_id, role, email, phone in rows:
        members[unit_id].append((user_id, role))
        people[user_id] = rules.Person(user_id, email or "", phone or "")
    return rules.Staff(
        members={unit: tuple(held) for unit, held in members.items()},
        people=people,
        unit_names=names,
        departments=departments,
        task_departments=task_departments,
    )


# --- messages about no case ---------------------------------------------------------------------


def queue_messages(
    *,
    topic: str,
    template: str,
    people: Sequence[rules.Person],
    unit_id: int | None,
    subject: str,
    body: str,
    link: str = "",
    now: datetime | None = None,
) -> int:
    """Messages about no case (a grid call to a grid's people): one per person of
    ``people`` and configured channel that can reach them, due now. Once per (topic,
    recipient, channel): writing the same batch again adds nothing, so the task that
    calls this may run twice. Returns how many rows were offered (one statement per
    500)."""
    now = now or timezone.now()
    staff = rules.Staff(people={p.user_id: p for p in people})
    rows = [
        Notification(
            topic=topic,
            template=template,
            recipient_kind=recipient.kind,
            recipient_key=recipient.key,
            user_id=recipient.user_id,
            unit_id=unit_id,
            channel=channel,
            subject=subject[:200],
            body=body,
            link=link[:300],
            state=Delivery.PENDING,
            next_attempt_at=now,
            created_at=now,
        )
        for recipient in (
            rules.Recipient(RecipientKind.VOLUNTEER, user_id=p.user_id, unit_id=unit_id)
            for p in people
        )
        for channel in settings.NOTIFY_ADAPTERS
        if rules.reachable(recipient, channel, None, staff)
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return len(rows)


# --- sending ----------------------------------------------------------------------------------


def claim_due(*, now: datetime | None = None, limit: int | None = None) -> list[Notification]:
    """Take up to ``limit`` messages whose time has come (oldest first; rows another
    worker holds are skipped on PostgreSQL): each ``sending``, its attempt counted.
    Returned with their case, contact and user, for the adapters."""
    now = now or timezone.now()
    limit = limit or settings.NOTIFY_SEND_BATCH
    with transaction.atomic():
        due = Notification.objects.filter(state=Delivery.PENDING, next_attempt_at__lte=now)
        due = due.order_by("next_attempt_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:limit])
        if not ids:
            return []
        Notification.objects.filter(pk__in=ids).update(
            state=Delivery.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
        taken = Notification.objects.filter(pk__in=ids).select_related("case__contact", "user")
        return list(taken.order_by("next_attempt_at", "pk"))


def mark_sent(notification: Notification, *, now: datetime | None = None) -> bool:
    """The adapter delivered it. False if the row was no longer this worker's."""
    now = now or timezone.now()
    done = Notification.objects.filter(pk=notification.pk, state=Delivery.SENDING).update(
        state=Delivery.SENT, sent_at=now, next_attempt_at=None, claimed_at=None, last_error=""
    )
    return bool(done)


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure: base, twice that, four times … capped."""
    seconds = settings.NOTIFY_RETRY_BASE_S * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.NOTIFY_RETRY_MAX_S))


def mark_failed(
    notification: Notification,
    *,
    error: str,
    now: datetime | None = None,
    permanent: bool = False,
) -> str:
    """The adapter could not deliver it: tried again after ``backoff``, or given up
    (``failed``) after ``NOTIFY_MAX_ATTEMPTS`` attempts or at once when retrying cannot
    help (``permanent``: nobody to send it to). Returns the new state."""
    now = now or timezone.now()
    attempts = notification.attempts  # counted when claimed
    if permanent or attempts >= settings.NOTIFY_MAX_ATTEMPTS:
        state, next_at = Delivery.FAILED, None
    else:
        state, next_at = Delivery.PENDING, now + backoff(attempts)
    Notification.objects.filter(pk=notification.pk, state=Delivery.SENDING).update(
        state=state, next_attempt_at=next_at, claimed_at=None, last_error=error[:ERROR_CHARS]
    )
    return state


def retry_now(notifications: QuerySet[Notification], *, now: datetime | None = None) -> int:
    """Retry now (the admin's action, the outbox page, ``civicgrid notify
    --retry-failed``): failed and waiting messages due at once. A failed one gets one
    more attempt (it stays failed if that fails too); returns how many."""
    now = now or timezone.now()
    return notifications.filter(state__in=(Delivery.FAILED, Delivery.PENDING)).update(
        state=Delivery.PENDING, next_attempt_at=now
    )


def release_abandoned(*, now: datetime | None = None) -> int:
    """Messages a worker took more than ``NOTIFY_SENDING_TIMEOUT_S`` ago and never
    finished (it died): back to pending, due now. Returns how many."""
    now = now or timezone.now()
    since = now - timedelta(seconds=settings.NOTIFY_SENDING_TIMEOUT_S)
    return Notification.objects.filter(state=Delivery.SENDING, claimed_at__lt=since).update(
        state=Delivery.PENDING,
        next_attempt_at=now,
        claimed_at=None,
        last_error=in_district_language(ABANDONED),
    )
