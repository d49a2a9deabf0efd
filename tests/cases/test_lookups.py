"""``ids_q``: rows whose field is one of many ids, as one typed array on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from civicgrid.cases.lookups import ids_q
from civicgrid.cases.models import Case
from tests.cases.conftest import Staff
from tests.factories import submit


def test_ids_q_finds_exactly_the_rows_of_the_ids(staff: Staff) -> None:
    cases = [submit(staff.tree, grid_index=i) for i in range(3)]
    wanted = {cases[0].pk, cases[2].pk}
    assert set(Case.objects.filter(ids_q(wanted)).values_list("pk", flat=True)) == wanted
    grids = {cases[1].grid_id}
    found = Case.objects.filter(ids_q(grids, "grid_id")).values_list("pk", flat=True)
    assert list(found) == [cases[1].pk]


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_the_array_has_the_columns_type_so_postgresql_can_hash_it(staff: Staff) -> None:
    """psycopg sends a list of small numbers as smallint[]; ``bigint = ANY(smallint[])``
    compares across types, which PostgreSQL does not hash (each row was compared with
    every id in turn: a street's 330 units over 30,000 cases took 23 ms, not 2)."""
    rows = Case.objects.filter(ids_q([1, 2, 3], "owner_unit_id"))
    with CaptureQueriesContext(connection) as queries:
        list(rows)
    assert "::bigint[])" in queries[0]["sql"], queries[0]["sql"]
    plan = rows.explain()
    assert "bigint[]" in plan and "smallint" not in plan, plan
