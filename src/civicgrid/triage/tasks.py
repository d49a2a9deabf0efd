"""Triage in the background: intake enqueues one reading per new case."""

from __future__ import annotations

from django_tasks import task

from civicgrid.cases.models import Case


@task(queue_name="triage")
def suggest_case(case_ref: str | int) -> dict[str, object]:
    """The machine's reading of a new case. ``case_ref``: its tracking code (intake
    queues it with the case, before the case has an id), or its id."""
    from civicgrid.triage.actions import suggest

    lookup = {"tracking_code": case_ref} if isinstance(case_ref, str) else {"pk": case_ref}
    case = Case.objects.filter(**lookup).first()
    if case is None:
        return {"case": case_ref, "missing": True}
    s = suggest(case)
    return {"case": case_ref, "category": s.category_id, "confidence": s.confidence}
