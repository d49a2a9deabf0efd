"""``civicgrid.db.insert`` and ``insert_together`` store the same rows as Django's ``create``."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django_tasks_db.models import DBTaskResult

from civicgrid import db as db_module
from civicgrid import queue
from civicgrid.cases.models import Case, CaseEvent, Photo, ResidentContact, State
from civicgrid.db import insert, insert_together
from civicgrid.intake.models import IdempotencyKey
from civicgrid.triage.tasks import suggest_case
from tests.factories import make_tree


def _row(model: type, pk: int) -> dict:
    """Every stored column but the id, as read back."""
    obj = model.objects.get(pk=pk)
    return {f.attname: getattr(obj, f.attname) for f in model._meta.concrete_fields[1:]}


def _assert_same_case(made: Case, other: Case) -> None:
    """Both stored alike, but for their tracking codes and update times."""
    a, b = _row(Case, made.pk), _row(Case, other.pk)
    assert a.pop("tracking_code") == made.tracking_code
    assert b.pop("tracking_code") == other.tracking_code
    assert a.pop("updated_at") is not None and b.pop("updated_at") is not None  # auto_now
    assert a == b


def _case_fields(tree: Any, at: datetime) -> dict:
    return {
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


def test_insert_writes_what_create_writes(db) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    at = datetime(2026, 10, 1, 8, 30, tzinfo=UTC)
    fields = _case_fields(tree, at)
    made = Case.objects.create(**fields, tracking_code="C-create")
    inserted = insert(Case(**fields, tracking_code="C-insert"))
    assert inserted.pk and inserted.pk != made.pk and not inserted._state.adding
    _assert_same_case(made, inserted)

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


def _rows_of(case: Case, tree: Any, at: datetime, key: str) -> list:
    return [
        ResidentContact(case=case, phone="13800000000", hide_identity=True),
        CaseEvent(
            case=case,
            seq=1,
            action="submit",
            at=at,
            to_state=State.SUBMITTED,
            to_unit=tree.district,
            data={"channel": "api", "字": [1, 2]},
        ),
        IdempotencyKey(key=key, fingerprint="f", case=case),
    ]


def test_insert_together_writes_what_create_writes(db) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    at = datetime(2026, 10, 1, 8, 30, tzinfo=UTC)
    made = Case.objects.create(**_case_fields(tree, at), tracking_code="C-create")
    made_rows = _rows_of(made, tree, at, "k-create")
    for row in made_rows:
        row.save()
    made_task = suggest_case.enqueue(made.tracking_code).db_result

    case = Case(**_case_fields(tree, at), tracking_code="C-together")
    rows = _rows_of(case, tree, at, "k-together")
    task = queue.row(suggest_case, case.tracking_code)
    assert case.pk is None
    insert_together([case, *rows, task])

    assert case.pk and case.pk != made.pk and not case._state.adding
    _assert_same_case(made, case)
    for mine, theirs in zip(rows, made_rows, strict=True):
        assert mine.pk and mine.case_id == case.pk, "pk and foreign key set on the object"
        row_a, row_b = _row(type(theirs), theirs.pk), _row(type(mine), mine.pk)
        assert row_a.pop("case_id") == made.pk and row_b.pop("case_id") == case.pk
        for moving in ("key", "created_at"):
            row_a.pop(moving, None), row_b.pop(moving, None)
        assert row_a == row_b, type(mine).__name__
    # The queue row is the one enqueue() stores (its pre_save signal ran: run_after).
    queued_a, queued_b = _row(DBTaskResult, made_task.pk), _row(DBTaskResult, task.pk)
    assert queued_a.pop("args_kwargs") == {"args": ["C-create"], "kwargs": {}}
    assert queued_b.pop("args_kwargs") == {"args": ["C-together"], "kwargs": {}}
    assert queued_a.pop("enqueued_at") <= queued_b.pop("enqueued_at")
    assert queued_a == queued_b


@pytest.mark.django_db(transaction=True)
def test_insert_together_is_all_or_nothing() -> None:
    """A row that cannot be written (a used key) leaves none of the others behind, and
    a caller's transaction stays usable after it (a savepoint on every database)."""
    tree = make_tree()
    at = datetime(2026, 10, 1, 8, 30, tzinfo=UTC)
    first = Case(**_case_fields(tree, at))
    insert_together([first, *_rows_of(first, tree, at, "k-1")])
    counts = (Case.objects.count(), ResidentContact.objects.count(), CaseEvent.objects.count())

    again = Case(**_case_fields(tree, at))
    with pytest.raises(IntegrityError):
        insert_together([again, *_rows_of(again, tree, at, "k-1")])
    assert (Case.objects.count(), ResidentContact.objects.count(), CaseEvent.objects.count()) == (
        counts
    ), "outside a transaction: nothing of the failed rows stored"

    with transaction.atomic():
        again = Case(**_case_fields(tree, at))
        with pytest.raises(IntegrityError):
            insert_together([again, *_rows_of(again, tree, at, "k-1")])
        assert Case.objects.count() == counts[0], "the caller's transaction still answers"
        fine = Case(**_case_fields(tree, at))
        insert_together([fine, *_rows_of(fine, tree, at, "k-2")])
    assert Case.objects.count() == counts[0] + 1 and IdempotencyKey.objects.count() == 2


def test_insert_together_on_postgresql_is_one_statement(db) -> None:  # type: ignore[no-untyped-def]
    from django.test.utils import CaptureQueriesContext

    tree = make_tree()
    at = datetime(2026, 10, 1, 8, 30, tzinfo=UTC)
    case = Case(**_case_fields(tree, at))
    with CaptureQueriesContext(connection) as queries:
        insert_together([case, *_rows_of(case, tree, at, "k-1")])
    statements = [q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    if connection.vendor == "postgresql":
        assert len(statements) == 1 and statements[0].startswith("WITH r0 AS (INSERT INTO")
    else:
        assert len(statements) == 4, statements


def test_insert_together_refuses_a_reference_to_a_later_row(db) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    case = Case(**_case_fields(tree, datetime(2026, 10, 1, tzinfo=UTC)))
    contact = ResidentContact(case=case, phone="13800000000")
    with pytest.raises(ValueError, match="later row"):
        insert_together([contact, case])
    assert not Case.objects.exists()


def test_insert_together_writes_empty_columns_of_each_shape(db) -> None:  # type: ignore[no-untyped-def]
    """Which values are empty changes the statement on PostgreSQL (NULL written into
    it): rows of two shapes, one after the other, each read back as given."""
    tree = make_tree()
    at = datetime(2026, 10, 1, 8, 30, tzinfo=UTC)
    located = Case(**_case_fields(tree, at))
    unlocated = Case(**{**_case_fields(tree, at), "grid": None, "lon": None, "lat": None})
    for case, key in (
        (located, "k-1"),
        (unlocated, "k-2"),
        (Case(**_case_fields(tree, at)), "k-3"),
    ):
        insert_together([case, *_rows_of(case, tree, at, key)])
    assert Case.objects.get(pk=located.pk).grid_id == tree.grids[0].pk
    back = Case.objects.get(pk=unlocated.pk)
    assert (back.grid_id, back.lon, back.lat, back.owner_unit_id) == (
        None,
        None,
        None,
        tree.district.pk,
    )
    assert ResidentContact.objects.get(case=unlocated).phone == "13800000000"
    assert Case.objects.count() == 3


_SAMPLES: list[Any] = [
    None,
    "",
    "文字",
    State.SUBMITTED,  # a str subclass
    True,
    False,
    0,
    7,
    -3,
    1.5,
    datetime(2026, 10, 1, 8, 30, tzinfo=UTC),
    datetime(2026, 10, 1, 8, 30),  # naive: Django makes it aware, with a warning
    [1, 2],
]


@pytest.mark.parametrize(
    "model", [Case, ResidentContact, CaseEvent, IdempotencyKey, DBTaskResult, Photo]
)
def test_a_value_skips_the_two_calls_only_where_they_would_give_it_back(db, model) -> None:  # type: ignore[no-untyped-def]
    """Every column's shortcut, held to Django's ``get_db_prep_save(pre_save(…))`` on this
    database for values of every common type: the same value of the same type, or
    the same error."""
    shortcuts = 0
    for pk_given in (False, True):
        columns = db_module._columns(model, pk_given, connection)
        for i, (f, attname, short, _) in enumerate(columns):
            if short == db_module._CALL:
                continue
            shortcuts += 1
            for value in _SAMPLES:
                obj = model()
                setattr(obj, attname, value)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    try:
                        expected = f.get_db_prep_save(f.pre_save(obj, True), connection)
                    except Exception as error:  # the same error is the claim
                        with pytest.raises(type(error)):
                            db_module._values(obj, pk_given, connection, {})
                        continue
                    got = db_module._values(obj, pk_given, connection, {})[i]
                assert type(got) is type(expected), (model.__name__, f.name, value)
                assert got == expected, (model.__name__, f.name, value)
    assert shortcuts, f"{model.__name__}: no column takes a shortcut"


def _made(obj: Any, *random: str) -> tuple[dict, dict]:
    """An object's attributes (but for its state and defaults drawn at random) and the
    related objects it has cached."""
    attrs = {k: v for k, v in vars(obj).items() if k != "_state" and k not in random}
    return attrs, dict(obj._state.fields_cache)


def test_new_makes_the_object_the_model_makes(db) -> None:  # type: ignore[no-untyped-def]
    tree = make_tree()
    at = datetime(2026, 10, 1, 8, 30, tzinfo=UTC)
    case = Case(**_case_fields(tree, at))
    task = queue.row(suggest_case, "C-1")
    made = [
        (Case, _case_fields(tree, at), ("tracking_code",)),
        (Case, {**_case_fields(tree, at), "tracking_code": "C-2"}, ()),
        (Case, {"owner_unit_id": tree.district.pk, "grid_id": None}, ("tracking_code",)),
        (Case, {}, ("tracking_code",)),
        (ResidentContact, {"case": case, "phone": "13800000000", "hide_identity": True}, ()),
        (
            CaseEvent,
            {
                "case": case,
                "seq": 1,
                "action": "submit",
                "actor": None,
                "at": at,
                "to_state": State.SUBMITTED,
                "from_unit": tree.district,
                "to_unit": tree.district,
                "data": {"channel": "api"},
                "attachments": ["a.jpg"],
            },
            (),
        ),
        (IdempotencyKey, {"key": "k", "fingerprint": "f", "case": case}, ()),
        (DBTaskResult, {"args_kwargs": task.args_kwargs, "task_path": task.task_path}, ("id",)),
        (Photo, {"case": case, "name": "p.jpg", "width": 3, "height": 4}, ()),
    ]
    for model, values, random in made:
        theirs, ours = model(**values), db_module.new(model, **values)
        assert type(ours) is model and ours._state.adding
        assert ours._state.db == theirs._state.db  # set by a related object's descriptor
        assert _made(ours, *random) == _made(theirs, *random), (model.__name__, values)
        for name in random:
            assert getattr(ours, name) and getattr(ours, name) != getattr(theirs, name)
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        db_module.new(Case, colour="red")
    with pytest.raises(TypeError):
        Case(colour="red")


def test_new_makes_a_fresh_default_for_each_object(db) -> None:  # type: ignore[no-untyped-def]
    a, b = db_module.new(DBTaskResult), db_module.new(DBTaskResult)
    assert a.worker_ids == [] and a.worker_ids is not b.worker_ids, "a list default made anew"
    assert a.id != b.id
