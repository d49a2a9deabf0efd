"""What the planner knows of a unit's and a grid's cases (PostgreSQL).

A district has thousands of owner units and grids (the console bench's ten million
cases: 7,233 and 6,926). With the default statistics target (100) PostgreSQL samples
30,000 cases and keeps the frequencies of at most 100 units; any other it guesses from
an average. A grid worker's grid owned 358 cases and was guessed at 691, the cases
located in it (1,369) at 4,000; so the grid's "handling" tab was planned as a walk of
every case being handled, newest first, until 51 of the grid's were found (276,000 index
entries, 25 ms), instead of reading the grid's own cases (0.7 ms), and which of the two
it got changed from one ``ANALYZE`` to the next. A target of 1,000 samples 300,000 cases
(``ANALYZE`` of ten million: 8 s) and the guesses are the counts. Elsewhere (SQLite)
this migration does nothing."""

from django.db import migrations

COLUMNS = ("owner_unit_id", "grid_id")
TARGET = 1000


def _set(schema_editor, target: int) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    columns = ", ".join(f'ALTER COLUMN "{c}" SET STATISTICS {target}' for c in COLUMNS)
    schema_editor.execute(f"ALTER TABLE cases_case {columns}")
    schema_editor.execute("ANALYZE cases_case")


def raise_target(apps, schema_editor):
    _set(schema_editor, TARGET)


def restore_default(apps, schema_editor):
    _set(schema_editor, -1)


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0027_words"),
    ]

    operations = [migrations.RunPython(raise_target, restore_default)]
