"""New rows written with their INSERT built once per model: ``insert`` and ``insert_together``.

Intake writes five rows per request (case, contact, event, idempotency key, task),
and Django compiles each INSERT anew: field by field, quoting every column, about
a quarter of a millisecond a row, more than the database takes to store it. Here
the statement is built once per process, database and shape; values still go
through each field's ``pre_save`` and ``get_db_prep_save``, and the model's
``pre_save``/``post_save`` signals are sent, as in Django's own insert, so the rows
are the same (tests hold them equal).

``insert_together`` stores rows that belong together, where later ones refer to
earlier ones by foreign key (a case, its contact, its first event). On PostgreSQL
that is one statement, each INSERT a data-modifying ``WITH`` clause and each
reference ``(SELECT id FROM rN)``: one round trip instead of one per row plus
BEGIN and COMMIT, and atomic by itself. Elsewhere (SQLite, where a statement costs
no round trip) it is one INSERT per row in a transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Field, Model, signals

M = TypeVar("M", bound=Model)

# (model, database alias, pk given) → (sql, fields, returns the pk)
_PLANS: dict[tuple[type[Model], str, bool], tuple[str, list[Field], bool]] = {}
# (database alias, per row: (model, pk given, (field name, index of the row it refers
# to)…, which values are NULL)) → (sql, the rows whose pk the statement returns)
_Shape = tuple[tuple[type[Model], bool, tuple[tuple[str, int], ...], tuple[bool, ...]], ...]
_TOGETHER: dict[tuple[str, _Shape], tuple[str, list[int]]] = {}
_FIELDS: dict[tuple[type[Model], bool], list[Field]] = {}


def _fields(model: type[Model], pk_given: bool) -> list[Field]:
    """The columns an INSERT of ``model`` writes (the auto pk only when given)."""
    fields = _FIELDS.get((model, pk_given))
    if fields is None:
        meta = model._meta
        fields = _FIELDS[(model, pk_given)] = [
            f
            for f in meta.local_concrete_fields
            if not f.generated and (pk_given or f is not meta.auto_field)
        ]
    return fields


def _placeholder(field: Field, connection: Any) -> str:
    if hasattr(field, "get_placeholder"):
        return field.get_placeholder(None, None, connection)
    return "%s"


def _plan(model: type[Model], connection: Any, pk_given: bool) -> tuple[str, list[Field], bool]:
    meta = model._meta
    fields = _fields(model, pk_given)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    values = ", ".join(_placeholder(f, connection) for f in fields)
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({values})"
    returning = not pk_given and connection.features.can_return_columns_from_insert
    if returning:
        sql += f" RETURNING {quote(meta.pk.column)}"
    return sql, fields, returning


def _pre_save(obj: Model, using: str) -> None:
    model = type(obj)
    if signals.pre_save.has_listeners(model):
        signals.pre_save.send(
            sender=model, instance=obj, raw=False, using=using, update_fields=None
        )


def _stored(obj: Model, using: str) -> None:
    obj._state.adding = False
    obj._state.db = using
    model = type(obj)
    if signals.post_save.has_listeners(model):
        signals.post_save.send(
            sender=model, instance=obj, created=True, raw=False, using=using, update_fields=None
        )


def insert(obj: M, using: str = DEFAULT_DB_ALIAS) -> M:
    """Store a new ``obj`` (as ``obj.save(force_insert=True)``), setting its pk."""
    model = type(obj)
    connection = connections[using]
    pk_given = obj.pk is not None
    key = (model, using, pk_given)
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = _plan(model, connection, pk_given)
    sql, fields, returning = plan
    _pre_save(obj, using)
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if not pk_given:
            if returning:
                pk = cursor.fetchone()[0]
            else:
                pk = connection.ops.last_insert_id(
                    cursor, model._meta.db_table, model._meta.pk.column
                )
            obj.pk = pk
    _stored(obj, using)
    return obj


def _references(objs: Sequence[Model]) -> list[dict[str, int]]:
    """Per row: its foreign keys that point at an earlier, not yet stored row (by index)."""
    position = {id(obj): i for i, obj in enumerate(objs)}
    refs: list[dict[str, int]] = []
    for i, obj in enumerate(objs):
        mine: dict[str, int] = {}
        for f in type(obj)._meta.local_concrete_fields:
            if f.remote_field is None or not f.is_cached(obj):
                continue
            target = f.get_cached_value(obj)
            j = position.get(id(target))
            if j is None or target.pk is not None:
                continue
            if j >= i:
                raise ValueError(f"{type(obj).__name__}.{f.name} refers to a later row")
            if f.target_field is not target._meta.pk:
                raise ValueError(f"{type(obj).__name__}.{f.name} does not refer to a pk")
            mine[f.name] = j
        refs.append(mine)
    return refs


def _link(obj: Model, mine: dict[str, int], objs: Sequence[Model]) -> None:
    """Set ``obj``'s foreign keys to the pks the rows they name have been given."""
    for name, j in mine.items():
        setattr(obj, obj._meta.get_field(name).attname, objs[j].pk)


_Row = tuple[list[Field], dict[str, int], list[Any]]  # columns, references, values


def _together_plan(
    objs: Sequence[Model], rows: list[_Row], connection: Any
) -> tuple[str, list[int]]:
    quote = connection.ops.quote_name
    clauses, returned = [], []
    for i, (obj, (fields, mine, values)) in enumerate(zip(objs, rows, strict=True)):
        meta = obj._meta
        sql_values = []
        for f, value in zip(fields, values, strict=True):
            if f.name in mine:
                target = objs[mine[f.name]]._meta.pk
                sql_values.append(f"(SELECT {quote(target.column)} FROM r{mine[f.name]})")
            elif value is None:
                sql_values.append("NULL")
            else:
                sql_values.append(_placeholder(f, connection))
        clause = (
            f"r{i} AS (INSERT INTO {quote(meta.db_table)} "
            f"({', '.join(quote(f.column) for f in fields)}) VALUES ({', '.join(sql_values)})"
        )
        if obj.pk is None:
            clause += f" RETURNING {quote(meta.pk.column)}"
            returned.append(i)
        clauses.append(clause + ")")
    selected = ", ".join(f"(SELECT {quote(objs[i]._meta.pk.column)} FROM r{i})" for i in returned)
    return f"WITH {', '.join(clauses)} SELECT {selected or '1'}", returned


def insert_together(objs: Sequence[Model], using: str = DEFAULT_DB_ALIAS) -> None:
    """Store new rows in order, all or none; a row's foreign key may name an earlier one
    of them (assigned as an object, before it has a pk). Sets every row's pk."""
    if not objs:
        return
    connection = connections[using]
    refs = _references(objs)
    if connection.vendor != "postgresql":
        with transaction.atomic(using=using):
            for obj, mine in zip(objs, refs, strict=True):
                _link(obj, mine, objs)
                insert(obj, using)
        return
    rows: list[_Row] = []
    for obj, mine in zip(objs, refs, strict=True):
        _pre_save(obj, using)
        fields = _fields(type(obj), obj.pk is not None)
        values = [
            None if f.name in mine else f.get_db_prep_save(f.pre_save(obj, True), connection)
            for f in fields
        ]
        rows.append((fields, mine, values))
    # A NULL is written into the statement rather than sent: a new case has a dozen
    # empty columns, and psycopg re-parses a statement of over 50 parameters on every
    # call (it keeps parsed statements only up to that many). So the statement depends
    # on which values are empty; a few such shapes occur, each built once.
    shape = tuple(
        (type(obj), obj.pk is not None, tuple(sorted(mine.items())), tuple(v is None for v in vals))
        for obj, (_, mine, vals) in zip(objs, rows, strict=True)
    )
    plan = _TOGETHER.get((using, shape))
    if plan is None:
        if len(_TOGETHER) >= 256:
            _TOGETHER.clear()
        plan = _TOGETHER[(using, shape)] = _together_plan(objs, rows, connection)
    sql, returned = plan
    params = [v for _, _, values in rows for v in values if v is not None]
    # Inside a caller's transaction, a savepoint: a failed statement (a used key) must
    # not spoil the rest of that transaction. Outside, the statement is atomic itself.
    guard = transaction.atomic(using=using) if connection.in_atomic_block else nullcontext()
    with guard, connection.cursor() as cursor:
        cursor.execute(sql, params)
        pks = cursor.fetchone()
    for i, pk in zip(returned, pks, strict=False):
        objs[i].pk = pk
    for obj, (_, mine, _) in zip(objs, rows, strict=True):
        _link(obj, mine, objs)
        _stored(obj, using)
