"""Triage in the background: intake enqueues one reading per new case."""

from __future__ import annotations

from django_tasks import task

from civicgrid.cases.models import Case


@task()
def suggest_case(case_id: int) -> dict[str, object]:
    from civicgrid.triage.service import suggest

    case = Case.objects.filter(pk=case_id).first()
    if case is None:
        return {"case": case_id, "missing": True}
    s = suggest(case)
    return {"case": case_id, "category": s.category_id, "confidence": s.confidence}
