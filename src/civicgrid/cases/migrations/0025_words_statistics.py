"""What the planner knows of a words search (PostgreSQL 14 and newer).

``cases.search`` finds words with ``icontains``: ``UPPER(title::text) LIKE
UPPER('%…%')`` or the same on ``text``. Without statistics of those two expressions
PostgreSQL guesses that a word matches almost nothing, and pages a small scope's search
by reading every case of the scope and sorting them; with them it knows how common the
word is, and a common one is read newest first from the scope's index until a page is
full. An extended statistics object (``CREATE STATISTICS``) keeps them; ``ANALYZE``
(autovacuum) fills it. It costs nothing on writes. Elsewhere (SQLite, older servers)
this migration does nothing."""

from django.db import migrations

NAME = "cases_words"
CREATE = (
    f"CREATE STATISTICS IF NOT EXISTS {NAME} "
    '(ndistinct) ON (UPPER("title"::text)), (UPPER("text"::text)) FROM cases_case'
)


def _served(schema_editor) -> bool:
    connection = schema_editor.connection
    return connection.vendor == "postgresql" and connection.pg_version >= 140000


def create(apps, schema_editor):
    if _served(schema_editor):
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if _served(schema_editor):
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {NAME}")


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0024_task_case_created_at"),
    ]

    operations = [migrations.RunPython(create, drop)]
