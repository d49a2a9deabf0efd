"""The demo's history interrupted and taken up again: each planned case is written
exactly once, in the plan's order, and a start queues an unfinished history once."""

from __future__ import annotations

import os
import signal
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

import civicgrid.demo.history as history
from civicgrid.cases.models import Case
from civicgrid.demo.build import generate_demo
from civicgrid.demo.history import HistoryInterrupted, generate_history
from civicgrid.demo.models import HistoryRun
from civicgrid.demo.tasks import (
    HISTORY_STALLED_AFTER,
    HISTORY_TASK_PATH,
    resume_history,
    stop_requested,
)

pytestmark = pytest.mark.django_db

COUNT = 24


def test_an_interrupted_history_is_completed_with_each_case_written_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    generate_demo(seed=1, scale=0.02)
    until = timezone.now()
    real_one_case = history._one_case
    planned: list[tuple[str, str, object]] = []
    written: list[tuple[str, str, object]] = []

    def record(into: list[tuple[str, str, object]], write: bool):  # type: ignore[no-untyped-def]
        def one_case(rng, start, until, category, request, *args):  # type: ignore[no-untyped-def]
            into.append((request.title, request.text, start))
            if write:
                real_one_case(rng, start, until, category, request, *args)

        return one_case

    # The plan alone (nothing written), then the real thing, stopped after 9 cases.
    monkeypatch.setattr(history, "_one_case", record(planned, write=False))
    generate_history(COUNT, seed=5, until=until)
    assert not Case.objects.exists() and len(planned) == COUNT
    monkeypatch.setattr(history, "_one_case", record(written, write=True))
    run = HistoryRun.objects.create(count=COUNT, seed=5, until=until)
    with pytest.raises(HistoryInterrupted):
        generate_history(COUNT, seed=5, run=run, should_stop=lambda: len(written) >= 9)
    run.refresh_from_db()
    assert run.done == 9 and Case.objects.count() == 9 - run.refused
    # Taken up again: from the tenth planned case on, to the end.
    generate_history(COUNT, seed=5, run=run)
    run.refresh_from_db()
    assert written == planned
    assert run.done == COUNT and Case.objects.count() == COUNT - run.refused


def test_a_start_queues_an_unfinished_history_once() -> None:
    generate_demo(seed=1, scale=0.02)
    tasks = DBTaskResult.objects.filter(task_path=HISTORY_TASK_PATH)
    assert resume_history() is None and not tasks.exists()
    run = HistoryRun.objects.create(count=50, seed=1, until=timezone.now(), done=7)
    # Stopped by its worker (the task ended): queued again, once.
    out = StringIO()
    call_command("demo", "--if-empty", "--history-in-background", "50", stdout=out)
    assert "7" in out.getvalue() and "50" in out.getvalue()
    assert resume_history() == run
    assert list(tasks.values_list("status", flat=True)) == ["READY"]
    # A worker on it, its run moving: left alone.
    tasks.update(status="RUNNING", started_at=timezone.now())
    assert resume_history() == run and tasks.count() == 1
    # Its worker died (the task still says running, the run stands still): again.
    HistoryRun.objects.filter(pk=run.pk).update(
        updated_at=timezone.now() - HISTORY_STALLED_AFTER - timedelta(seconds=1)
    )
    resume_history()
    assert sorted(tasks.values_list("status", flat=True)) == ["FAILED", "READY"]
    # Finished: nothing to do.
    HistoryRun.objects.filter(pk=run.pk).update(finished_at=timezone.now())
    tasks.delete()
    assert resume_history() is None and not tasks.exists()


def test_a_stop_signal_is_noted_for_the_history_and_the_handlers_put_back() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with stop_requested() as stop:
        assert not stop.is_set()
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.wait(5)
    assert signal.getsignal(signal.SIGTERM) == before
