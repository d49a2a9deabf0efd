"""``civicgrid.db.insert`` stores the same rows as Django's ``create``."""

from __future__ import annotations

from datetime import UTC, datetime

from civicgrid.cases.models import Case, CaseEvent, ResidentContact, State
from civicgrid.db import insert
from civicgrid.intake.models import IdempotencyKey
from tests.factories import make_tree


def _row(model: type, pk: int) -> dict:
    """Every stored column but the id, as read back."""
    obj = model.objects.get(pk=pk)
    return {f.attname: getattr(obj, f.attname) for f in model._meta.concrete_fields[1:]}


def test_insert_writes_what_create_writes(db) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    at = datetime(2026, 10, 1, 8, 30, tzinfo=UTC)
    fields = {
        "channel": "api",
        "title": "路灯不亮",
        "text": "小区门口路灯不亮。",
        "lon": 120.005,
        "lat": 30.005,
        "grid": tree.grids[0],
        "owner_unit": tree.district,
        "state": State.SUBMITTED,
        "version": 1,
        "created_at": at,
    }
    made = Case.objects.create(**fields, tracking_code="C-create")
    inserted = insert(Case(**fields, tracking_code="C-insert"))
    assert inserted.pk and inserted.pk != made.pk and not inserted._state.adding
    a, b = _row(Case, made.pk), _row(Case, inserted.pk)
    assert a.pop("tracking_code") == "C-create" and b.pop("tracking_code") == "C-insert"
    assert a.pop("updated_at") is not None and b.pop("updated_at") is not None  # auto_now
    assert a == b

    for case in (made, inserted):
        contact = {"case": case, "phone": "13800000000", "hide_identity": True}
        event = {
            "case": case,
            "seq": 1,
            "action": "submit",
            "at": at,
            "to_state": State.SUBMITTED,
            "to_unit": tree.district,
            "data": {"channel": "api", "grid": None, "字": [1, 2]},
            "attachments": ["a.jpg"],
        }
        key = {"key": f"k-{case.pk}", "fingerprint": "f", "case": case}
        if case is made:
            rows = [
                ResidentContact.objects.create(**contact),
                CaseEvent.objects.create(**event),
                IdempotencyKey.objects.create(**key),
            ]
        else:
            rows = [
                insert(ResidentContact(**contact)),
                insert(CaseEvent(**event)),
                insert(IdempotencyKey(**key)),
            ]
        case.rows = rows  # type: ignore[attr-defined]

    for a, b in zip(made.rows, inserted.rows, strict=True):  # type: ignore[attr-defined]
        row_a, row_b = _row(type(a), a.pk), _row(type(b), b.pk)
        assert row_a.pop("case_id") == made.pk and row_b.pop("case_id") == inserted.pk
        for moving in ("key", "created_at"):
            row_a.pop(moving, None), row_b.pop(moving, None)
        assert row_a == row_b, type(a).__name__
