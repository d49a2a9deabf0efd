"""New rows made and written cheaply: ``new``, ``insert`` and ``insert_together``.

Intake writes five rows per request (case, contact, event, idempotency key, task),
and Django compiles each INSERT anew: field by field, quoting every column, about
a quarter of a millisecond a row, more than the database takes to store it. Here
the statement is built once per process, database and shape; values still go
through each field's ``pre_save`` and ``get_db_prep_save`` (skipped where Django's
own field class would give the value back unchanged: ``_shortcut``), and the
model's ``pre_save``/``post_save`` signals are sent, as in Django's own insert, so
the rows are the same (tests hold them equal).

``insert_together`` stores rows that belong together, where later ones refer to
earlier ones by foreign key (a case, its contact, its first event). On PostgreSQL
that is one statement, each INSERT a data-modifying ``WITH`` clause and each
reference ``(SELECT id FROM rN)``: one round trip instead of one per row plus
BEGIN and COMMIT, and atomic by itself. Elsewhere (SQLite, where a statement costs
no round trip) it is one INSERT per row in a transaction.

``new(model, **values)`` makes the object itself, as ``model(**values)`` would, at
less than half the cost (see there). Tests hold all three to Django's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from datetime import datetime
from itertools import repeat
from operator import is_
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import (
    BigIntegerField,
    BooleanField,
    CharField,
    DateTimeField,
    Field,
    FloatField,
    ForeignKey,
    IntegerField,
    Model,
    PositiveBigIntegerField,
    PositiveIntegerField,
    PositiveSmallIntegerField,
    SmallIntegerField,
    TextField,
    signals,
)
from django.db.models.base import ModelState
from django.db.models.fields import AutoFieldMixin

M = TypeVar("M", bound=Model)

# (model, database alias, pk given) → (sql, fields, returns the pk)
_PLANS: dict[tuple[type[Model], str, bool], tuple[str, bool]] = {}
# (database alias, per row: (model, pk given, (field name, index of the row it refers
# to)…, which values are NULL)) → (sql, the rows whose pk the statement returns)
_Shape = tuple[tuple[type[Model], bool, tuple[tuple[str, int], ...], tuple[bool, ...]], ...]
_TOGETHER: dict[tuple[str, _Shape], tuple[str, list[int]]] = {}
_FIELDS: dict[tuple[type[Model], bool], list[Field]] = {}
# (model, pk given, database vendor) → per column: field, attname, its shortcut
_Column = tuple[Field, str, int, Any]
_COLUMNS: dict[tuple[type[Model], bool, str], list[_Column]] = {}
_FOREIGN_KEYS: dict[type[Model], list[Field]] = {}

_NONES = repeat(None)  # for map(is_, values, _NONES): which values are None
_INTEGERS = (
    IntegerField,
    SmallIntegerField,
    BigIntegerField,
    PositiveIntegerField,
    PositiveSmallIntegerField,
    PositiveBigIntegerField,
)


# How a column's value may skip ``pre_save`` and ``get_db_prep_save`` (see
# ``_shortcut``); every kind but _CALL passes None as it is. (Plain ints, not an Enum:
# this is read for every column of every row, and an Enum member is a slow read.)
_CALL = 0  # call both
_TEXT = 1  # any str
_EXACT = 2  # a value of exactly this type
_WRAP = 3  # an int, given to this callable
_AWARE = 4  # a datetime with a time zone
_NONE = 5  # None only


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


def _shortcut(field: Field, connection: Any) -> tuple[int, Any]:
    """Which of ``field``'s values come out of its ``pre_save`` and ``get_db_prep_save``
    on this database as they went in (or wrapped, as PostgreSQL's backend wraps an int
    in the column's psycopg type), so that preparing them can skip both calls: half the
    cost of preparing a row. Only Django's own field classes, not subclasses, which may
    override either method; ``tests/test_db.py`` holds each claim to the two calls."""
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        return _CALL, None
    kind = type(field)
    if kind is CharField or kind is TextField:
        return _TEXT, None  # a TextChoices member stays itself too
    if kind is BooleanField:
        return _EXACT, bool
    if kind is FloatField:
        return _EXACT, float
    if kind is ForeignKey and isinstance(field.target_field, AutoFieldMixin):
        return _EXACT, int
    if kind in _INTEGERS:
        wrap = getattr(connection.ops, "integerfield_type_map", {}).get(field.get_internal_type())
        return (_WRAP, wrap) if wrap is not None else (_EXACT, int)
    if kind is DateTimeField and not (field.auto_now or field.auto_now_add):
        # stored as it is on PostgreSQL; SQLite's backend writes it as text
        return (_AWARE, None) if vendor == "postgresql" else (_NONE, None)
    return _CALL, None


def _columns(model: type[Model], pk_given: bool, connection: Any) -> list[_Column]:
    key = (model, pk_given, connection.vendor)
    columns = _COLUMNS.get(key)
    if columns is None:
        columns = _COLUMNS[key] = [
            (f, f.attname, *_shortcut(f, connection)) for f in _fields(model, pk_given)
        ]
    return columns


def _values(obj: Model, pk_given: bool, connection: Any, skip: dict[str, int]) -> list[Any]:
    """``obj``'s values as Django's insert prepares them (None for the columns in ``skip``)."""
    values = []
    for f, attname, short, arg in _columns(type(obj), pk_given, connection):
        if f.name in skip:
            values.append(None)
            continue
        value = getattr(obj, attname)
        if short == _TEXT:
            keep = value is None or isinstance(value, str)
        elif short == _EXACT:
            keep = value is None or type(value) is arg
        elif short == _WRAP and type(value) is int:
            value, keep = arg(value), True
        elif short == _AWARE:
            keep = value is None or (type(value) is datetime and value.utcoffset() is not None)
        else:
            keep = short != _CALL and value is None
        if not keep:
            value = f.get_db_prep_save(f.pre_save(obj, True), connection)
        values.append(value)
    return values


def _placeholder(field: Field, connection: Any) -> str:
    if hasattr(field, "get_placeholder"):
        return field.get_placeholder(None, None, connection)
    return "%s"


def _plan(model: type[Model], connection: Any, pk_given: bool) -> tuple[str, bool]:
    meta = model._meta
    fields = _fields(model, pk_given)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    values = ", ".join(_placeholder(f, connection) for f in fields)
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({values})"
    returning = not pk_given and connection.features.can_return_columns_from_insert
    if returning:
        sql += f" RETURNING {quote(meta.pk.column)}"
    return sql, returning


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


# model → (constant defaults by attname, fields whose default is made anew for each
# object, every concrete field by name and by attname, attnames set through setattr)
_NewPlan = tuple[dict[str, Any], list[Field], dict[str, Field], frozenset[str]]
_NEW: dict[type[Model], _NewPlan] = {}
_CONSTANT = (str, int, float, bool, bytes, _NONE)


def _new_plan(model: type[Model]) -> _NewPlan:
    constant: dict[str, Any] = {}
    fresh: list[Field] = []
    by_name: dict[str, Field] = {}
    via_setattr = set()
    for f in model._meta.concrete_fields:
        if f.generated:
            continue
        by_name[f.name] = by_name[f.attname] = f
        if not f.has_default() and not f.has_db_default():
            constant[f.attname] = f.get_default()  # None or "" (Field._get_default)
        elif f.has_default() and not callable(f.default) and type(f.default) in _CONSTANT:
            constant[f.attname] = f.default
        else:
            fresh.append(f)
        # a data descriptor on the class (a file, a foreign key's id) sees the value set
        if hasattr(type(getattr(model, f.attname, None)), "__set__"):
            via_setattr.add(f.attname)
    plan = (constant, fresh, by_name, frozenset(via_setattr))
    _NEW[model] = plan
    return plan


def new(model: type[M], /, **values: Any) -> M:
    """``model(**values)``, a new row's object, made without ``Model.__init__``'s walk
    of every field with a lookup and a caught KeyError each (intake's five objects
    cost half as much: a case 0.11 M instructions instead of 0.27 M). Constant defaults
    are copied from a table made once per model, the others made anew; a value is set
    as ``__init__`` sets it (a related object through its descriptor, so it is cached);
    ``pre_init``/``post_init`` are sent. Only concrete fields may be given (``__init__``
    also takes properties); tests hold the objects equal to the model's own."""
    plan = _NEW.get(model)
    constant, fresh, by_name, via_setattr = plan if plan is not None else _new_plan(model)
    signals.pre_init.send(sender=model, args=(), kwargs=values)
    obj = model.__new__(model)
    obj._state = ModelState()
    attrs = obj.__dict__
    attrs.update(constant)
    for f in fresh:
        if f.attname not in values and f.name not in values:
            setattr(obj, f.attname, f.get_default())
    for name, value in values.items():
        f = by_name.get(name)
        if f is None:
            raise TypeError(f"{model.__qualname__}() got an unexpected keyword argument '{name}'")
        if name != f.attname or name in via_setattr:
            setattr(obj, name, value)  # a related object: through its descriptor
        else:
            attrs[name] = value
    signals.post_init.send(sender=model, instance=obj)
    return obj


def insert(obj: M, using: str = DEFAULT_DB_ALIAS) -> M:
    """Store a new ``obj`` (as ``obj.save(force_insert=True)``), setting its pk."""
    model = type(obj)
    connection = connections[using]
    pk_given = obj.pk is not None
    key = (model, using, pk_given)
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = _plan(model, connection, pk_given)
    sql, returning = plan
    _pre_save(obj, using)
    params = _values(obj, pk_given, connection, {})
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


def _foreign_keys(model: type[Model]) -> list[Field]:
    fks = _FOREIGN_KEYS.get(model)
    if fks is None:
        fks = _FOREIGN_KEYS[model] = [
            f for f in model._meta.local_concrete_fields if f.remote_field is not None
        ]
    return fks


def _references(objs: Sequence[Model]) -> list[dict[str, int]]:
    """Per row: its foreign keys that point at an earlier, not yet stored row (by index)."""
    position = {id(obj): i for i, obj in enumerate(objs)}
    refs: list[dict[str, int]] = []
    for i, obj in enumerate(objs):
        mine: dict[str, int] = {}
        for f in _foreign_keys(type(obj)):
            if not f.is_cached(obj):
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


def _binding_cursor(connection: Any) -> Any:
    """Django's cursor (health check, execute wrappers, query log), but over a psycopg
    cursor that sends the values apart from the statement (server-side binding, in
    binary where psycopg can), not quoted into its text one by one: a third of the
    cost of sending a new case's statement. Never prepared (Django leaves
    ``prepare_threshold`` unset), so connection poolers see nothing new."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        raw = ServerBindingCursor(connection.connection)
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)
    return connection.make_cursor(raw)


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
        pk_given = obj.pk is not None
        rows.append((_fields(type(obj), pk_given), mine, _values(obj, pk_given, connection, mine)))
    # A NULL is written into the statement rather than sent: a new case has a dozen
    # empty columns, and psycopg re-parses a statement of over 50 parameters on every
    # call (it keeps parsed statements only up to that many). So the statement depends
    # on which values are empty; a few such shapes occur, each built once.
    shape = tuple(
        (type(obj), obj.pk is not None, tuple(sorted(mine.items())), tuple(map(is_, vals, _NONES)))
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
    with guard, _binding_cursor(connection) as cursor:
        cursor.execute(sql, params)
        pks = cursor.fetchone()
    for i, pk in zip(returned, pks, strict=False):
        objs[i].pk = pk
    for obj, (_, mine, _) in zip(objs, rows, strict=True):
        _link(obj, mine, objs)
        _stored(obj, using)
