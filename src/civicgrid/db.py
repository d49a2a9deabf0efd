"""``insert(obj)``: ``obj.save()`` of a new row with its INSERT built once per model.

Intake writes five rows per request (case, contact, event, idempotency key, task),
and Django compiles each INSERT anew: field by field, quoting every column, about
a quarter of a millisecond a row, more than the database takes to store it. Here
the statement of each model is built once per process and database; values still
go through each field's ``pre_save`` and ``get_db_prep_save``, as in Django's own
insert, so the rows are the same (a test holds them equal). Models with save
signal receivers go through ``save()``.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Field, Model, signals

M = TypeVar("M", bound=Model)

# (model, database alias, pk given) → (sql, fields, returns the pk)
_PLANS: dict[tuple[type[Model], str, bool], tuple[str, list[Field], bool]] = {}


def _plan(model: type[Model], connection: Any, pk_given: bool) -> tuple[str, list[Field], bool]:
    meta = model._meta
    fields = [
        f
        for f in meta.local_concrete_fields
        if not f.generated and (pk_given or f is not meta.auto_field)
    ]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    values = ", ".join(
        f.get_placeholder(None, None, connection) if hasattr(f, "get_placeholder") else "%s"
        for f in fields
    )
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({values})"
    returning = not pk_given and connection.features.can_return_columns_from_insert
    if returning:
        sql += f" RETURNING {quote(meta.pk.column)}"
    return sql, fields, returning


def insert(obj: M, using: str = DEFAULT_DB_ALIAS) -> M:
    """Store a new ``obj`` (as ``obj.save(force_insert=True)``), setting its pk."""
    model = type(obj)
    if signals.pre_save.has_listeners(model) or signals.post_save.has_listeners(model):
        obj.save(force_insert=True, using=using)
        return obj
    connection = connections[using]
    pk_given = obj.pk is not None
    key = (model, using, pk_given)
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = _plan(model, connection, pk_given)
    sql, fields, returning = plan
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
    obj._state.adding = False
    obj._state.db = using
    return obj
