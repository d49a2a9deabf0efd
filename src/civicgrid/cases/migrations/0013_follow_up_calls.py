"""Follow-up calls counted on the case (and an unreachable outcome), the district's
follow-up policy, the follow-up queue's index carrying the scope's columns.

Cases in follow-up now get the calls already recorded in this follow-up counted (the
``follow_up`` events since the case last entered follow-up), as ``replay`` counts them.
"""

from collections import Counter, defaultdict

import django.core.validators
from django.db import migrations, models


def count_calls_made(apps, schema_editor):  # type: ignore[no-untyped-def]
    Case = apps.get_model("cases", "Case")
    CaseEvent = apps.get_model("cases", "CaseEvent")
    ids = list(Case.objects.filter(state="follow_up").values_list("pk", flat=True))
    calls: Counter[int] = Counter()
    for start in range(0, len(ids), 1000):
        events = (
            CaseEvent.objects.filter(case_id__in=ids[start : start + 1000])
            .filter(models.Q(action="follow_up") | models.Q(to_state="follow_up"))
            .order_by("case_id", "seq")
            .values_list("case_id", "action", "from_state", "to_state")
        )
        for case_id, action, from_state, to_state in events:
            if to_state == "follow_up" and from_state != "follow_up":
                calls[case_id] = 0  # entered follow-up: its calls from none
            if action == "follow_up":
                calls[case_id] += 1
    by_count: dict[int, list[int]] = defaultdict(list)
    for case_id, n in calls.items():
        if n:
            by_count[n].append(case_id)
    for n, case_ids in by_count.items():
        Case.objects.filter(pk__in=case_ids).update(follow_up_attempts=min(n, 32767))


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0012_events_by_time_on_both_databases'),
        ('org', '0002_user_session_token'),
    ]

    operations = [
        migrations.CreateModel(
            name='FollowUpPolicy',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, editable=False, primary_key=True, serialize=False)),
                ('max_attempts', models.PositiveSmallIntegerField(default=3, help_text='A follow-up call that does not reach the resident, once this many calls have been made, closes the case as unreachable.', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(10)], verbose_name='calls before unreachable')),
                ('reopen_not_solved', models.BooleanField(default=True, help_text='The resident says it is not solved: the case goes back to its unit.', verbose_name='reopen when not solved')),
                ('reopen_at_most_stars', models.PositiveSmallIntegerField(default=2, help_text='A rating of this many stars or fewer reopens the case even when the resident says it is solved (1–2 stars: dissatisfied). 0: the stars alone never reopen.', validators=[django.core.validators.MaxValueValidator(4)], verbose_name='reopen when rated at most (stars)')),
                ('max_reopens', models.PositiveSmallIntegerField(blank=True, default=2, help_text="Once a case has been reopened this many times (for any reason), the resident's word is recorded and the case is closed. Empty: no limit.", null=True, verbose_name='at most this many reopens')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='changed at')),
            ],
            options={
                'verbose_name': 'follow-up policy',
                'verbose_name_plural': 'follow-up policy',
            },
        ),
        migrations.RemoveIndex(
            model_name='case',
            name='follow_up_by_due',
        ),
        migrations.AddField(
            model_name='case',
            name='follow_up_attempts',
            field=models.PositiveSmallIntegerField(db_default=0, default=0, editable=False, verbose_name='follow-up calls'),
        ),
        migrations.AddField(
            model_name='case',
            name='unreachable',
            field=models.BooleanField(db_default=False, default=False, editable=False, help_text='Set when the last follow-up call allowed did not reach the resident and the case was closed for it; cleared when the case is reopened or followed up again.', verbose_name='closed: resident unreachable'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('state', 'follow_up')), fields=['follow_up_due', 'id'], include=('owner_unit', 'grid'), name='follow_up_by_due'),
        ),
        migrations.AddConstraint(
            model_name='followuppolicy',
            constraint=models.CheckConstraint(condition=models.Q(('id', 1)), name='one_follow_up_policy'),
        ),
        migrations.RunPython(count_calls_made, migrations.RunPython.noop, elidable=True),
    ]
