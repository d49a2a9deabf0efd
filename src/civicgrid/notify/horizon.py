"""Up to which event id the log may be read without missing an event committed later.

Event ids are handed out when a row is inserted, not when its transaction commits. On
SQLite that is the same order (one writer at a time, and the derivation holds the
write lock while it reads), so every event up to the largest id it sees is there.

On PostgreSQL transactions commit in any order: while event 101 is visible, event 100
may belong to a transition still running, and a watermark moved to 101 would skip it
for good. So the derivation remembers what it saw, and moves the watermark there only
once every transaction that could still add an event below it has ended:

1. ``observe``, the derivation's first two statements: ``S``, the largest event id
   visible now, then ``N``, the derivation's own transaction id, taken after it. An
   event with an id up to S was inserted before S was read, by a transaction that
   already held a transaction id then (every writer of events writes the case row
   first: a transition locks it FOR UPDATE, intake inserts it, the sweeper updates
   it), so that id is below N.
2. A later derivation finds (S, N) in the watermark row and checks ``settled``: the
   oldest transaction still running (``pg_snapshot_xmin(pg_current_snapshot())``)
   is newer than N. Then every event up to S that will ever exist is committed and
   visible, and the watermark may move to S.

A transition takes milliseconds, so the next derivation (a moment later in the same
round, ``tasks.deliver``) usually finds the last one's observation settled. A
transaction left open for long (a stuck session) holds the watermark back, never
loses an event. Public functions of PostgreSQL only (``pg_current_xact_id``,
``pg_current_snapshot``, 13 and later).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from civicgrid.cases.models import CaseEvent


@dataclass(frozen=True)
class Observation:
    event_id: int  # the largest event id visible
    xid: int | None  # the observing transaction's id (PostgreSQL); None: settled at once


def _last_event_id() -> int:
    return CaseEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def observe() -> Observation:
    """What the log holds now; the first statements of the deriving transaction."""
    last = _last_event_id()
    if connection.vendor != "postgresql":
        return Observation(last, None)
    with connection.cursor() as cursor:
        # After the read above: the events up to ``last`` were begun by older ids.
        cursor.execute("SELECT pg_current_xact_id()::text::bigint")
        (xid,) = cursor.fetchone()
    return Observation(last, xid)


def settled(xid: int | None) -> bool:
    """Whether every transaction up to ``xid`` has ended (committed or rolled back)."""
    if xid is None or connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
        (oldest_running,) = cursor.fetchone()
    return oldest_running > xid
