"""The outbox starts at the present: an installation that already holds a history of
cases sends no message about it (residents would get a text for every step of the
past). Its watermark is put after the last event there is now. A new installation gets
no row (the first derivation makes it, at the start of the log): one that only ran
``migrate`` holds no data, so a backup may be restored into it."""

from django.db import migrations


def start_at_the_last_event(apps, schema_editor):
    CaseEvent = apps.get_model("cases", "CaseEvent")
    Watermark = apps.get_model("notify", "Watermark")
    last = CaseEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    if last is not None:
        Watermark.objects.update_or_create(pk=1, defaults={"event_id": last})


class Migration(migrations.Migration):
    dependencies = [("notify", "0001_outbox")]

    operations = [migrations.RunPython(start_at_the_last_event, migrations.RunPython.noop)]
