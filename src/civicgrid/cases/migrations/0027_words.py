"""The words of cases for the search (``cases.words``): the table the worker writes, its
one mark, and on PostgreSQL the GIN index that finds the cases holding a word's pieces
(the default operator class of ``integer[]``, which serves ``@>``). Elsewhere (SQLite)
the search reads the texts, and there is no index to make."""

import django.db.models.deletion

import civicgrid.cases.models
from django.db import migrations, models

INDEX = "cases_words_pieces"
CREATE = f"CREATE INDEX IF NOT EXISTS {INDEX} ON cases_casewords USING gin (pieces)"
DROP = f"DROP INDEX IF EXISTS {INDEX}"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0026_seconds_missing'),
    ]

    operations = [
        migrations.CreateModel(
            name='CaseWords',
            fields=[
                ('case', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='words', serialize=False, to='cases.case')),
                ('pieces', civicgrid.cases.models.Pieces(default=list)),
            ],
            options={
                'verbose_name': 'words of a case',
                'verbose_name_plural': 'words of cases',
            },
        ),
        migrations.CreateModel(
            name='WordsMark',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('through_id', models.BigIntegerField(default=0)),
                ('seen_id', models.BigIntegerField(default=0)),
                ('seen_at', models.DateTimeField(blank=True, null=True)),
            ],
            options={
                'verbose_name': 'words mark',
                'verbose_name_plural': 'words marks',
            },
        ),
        migrations.RunPython(create_index, drop_index),
    ]
