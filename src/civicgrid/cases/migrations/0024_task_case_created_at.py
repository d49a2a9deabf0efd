from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_case_times(apps, schema_editor):
    """Each task takes its case's ``created_at``, which never changes."""
    case = apps.get_model("cases", "Case")
    task = apps.get_model("cases", "WhistleTask")
    task.objects.update(
        case_created_at=Subquery(
            case.objects.filter(pk=OuterRef("case_id")).values("created_at")[:1]
        )
    )


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0023_scope_part_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="whistletask",
            name="case_created_at",
            field=models.DateTimeField(
                editable=False, null=True, verbose_name="case received at"
            ),
        ),
        migrations.RunPython(copy_case_times, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="whistletask",
            name="case_created_at",
            field=models.DateTimeField(editable=False, verbose_name="case received at"),
        ),
        migrations.AddIndex(
            model_name="whistletask",
            index=models.Index(
                fields=["department", "case_created_at", "case"], name="tasks_by_case_newest"
            ),
        ),
    ]
