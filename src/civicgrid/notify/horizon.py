"""Up to which event id the log may be read without missing an event committed later.

Event ids are handed out when a row is inserted, not when its transaction commits. On
SQLite that is the same order (one writer at a time, and the derivation holds the
write lock while it reads), so every event up to the largest id it sees is there.

On PostgreSQL transactions commit in any order: while event 101 is visible, event 100
may belong to a transition still running, and a watermark moved to 101 would skip it
for good. So the derivation looks at who is writing events:

1. ``observe``, the derivation's first statements: ``S``, the largest event id visible
   now; then the transactions that hold a write lock on the event table now (other
   than its own), by their virtual transaction ids, from ``pg_locks``. A transaction
   takes that lock before its INSERT or COPY draws an id and keeps it to its end, so
   whoever drew an id up to S and has not finished is among them.
2. None of them: every event up to S is committed (or rolled back) and visible, and the
   watermark may move to S at once: the usual case. Otherwise the derivation keeps
   (S, those writers) in the watermark row, and a later one moves it to S once
   ``settled``: none of them is running any more (each running transaction holds a
   lock on its own virtual transaction id).

A transition takes milliseconds, so the next derivation (a moment later in the same
round, ``tasks.deliver``) usually finds them gone. Only writers of this database's
event table count: a long transaction elsewhere on the server holds nothing back; a
transaction left open after writing events (a stuck session) holds the watermark back
until it ends, and loses nothing. The derivation's own transaction is left out, so
inside a caller's transaction (tests) it reads that transaction's own events.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from civicgrid.cases.models import CaseEvent


@dataclass(frozen=True)
class Observation:
    event_id: int  # the largest event id visible
    # PostgreSQL: the transactions writing events at that moment (virtual transaction
    # ids); empty: none (or SQLite), every event up to event_id is settled.
    writers: tuple[str, ...] = ()

    @property
    def settled(self) -> bool:
        return not self.writers


def _last_event_id() -> int:
    return CaseEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


WRITERS = """
    SELECT DISTINCT virtualtransaction FROM pg_locks
    WHERE locktype = 'relation' AND mode = 'RowExclusiveLock' AND granted
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND relation = %s::regclass
      AND pid IS DISTINCT FROM pg_backend_pid()
"""
RUNNING = """
    SELECT EXISTS (
        SELECT 1 FROM pg_locks WHERE locktype = 'virtualxid' AND virtualxid = ANY(%s)
    )
"""


def observe() -> Observation:
    """What the log holds now, and who may still add to it below that."""
    last = _last_event_id()
    if connection.vendor != "postgresql":
        return Observation(last)
    with connection.cursor() as cursor:
        # After the read above: a writer that drew an id up to ``last`` holds its lock.
        cursor.execute(WRITERS, [CaseEvent._meta.db_table])
        writers = tuple(sorted(row[0] for row in cursor.fetchall()))
    return Observation(last, writers)


def settled(writers: list[str] | tuple[str, ...]) -> bool:
    """Whether every one of ``writers`` has ended (committed or rolled back)."""
    if not writers or connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute(RUNNING, [list(writers)])
        (running,) = cursor.fetchone()
    return not running
