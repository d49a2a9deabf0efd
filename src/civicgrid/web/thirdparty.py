"""Chinese names for the third-party apps the admin shows.

Neither django-axes nor django-tasks ships a Chinese catalogue. Their apps get our names
through these AppConfig subclasses (listed in ``INSTALLED_APPS`` in their place; the
apps' ``name`` and ``label`` stay theirs, so their migrations and lookups are
unchanged). Their models' and fields' names are ``gettext_lazy`` strings in their own
code: ``THEIR_STRINGS`` below puts those strings in our catalogue
(``python3 dev.py messages`` keeps only what it finds in our code), where the zh-Hans
translations live.
"""

from __future__ import annotations

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, pgettext_lazy
from django_tasks_db.apps import TasksAppConfig


class AxesConfig(AxesAppConfig):
    verbose_name = _("Login protection")


class TasksDatabaseConfig(TasksAppConfig):
    verbose_name = _("Background tasks")


# The verbose names in django-axes 8 (axes/models.py) and django-tasks-db
# (django_tasks_db/models.py), word for word: a string changed upstream shows in
# English until it is added here (tests/web/test_chinese.py says which).
THEIR_STRINGS = (
    # axes
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("User Agent"),
    gettext_noop("IP Address"),
    gettext_noop("Username"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Access lock out"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Failed Logins"),
    gettext_noop("Access Attempt"),
    gettext_noop("Expires At"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("Logout Time"),
    gettext_noop("Session key hash (sha256)"),
    # django-tasks-db
    gettext_noop("Task Result"),
    gettext_noop("Task Results"),
    gettext_noop("id"),
    gettext_noop("status"),
    gettext_noop("enqueued at"),
    gettext_noop("started at"),
    gettext_noop("finished at"),
    gettext_noop("args kwargs"),
    gettext_noop("priority"),
    gettext_noop("task path"),
    gettext_noop("worker id"),
    gettext_noop("queue name"),
    gettext_noop("backend name"),
    gettext_noop("run after"),
    gettext_noop("return value"),
    gettext_noop("exception class path"),
    gettext_noop("traceback"),
    # django-tasks: a result's status
    pgettext_lazy("Task", "Ready"),
    pgettext_lazy("Task", "Running"),
    pgettext_lazy("Task", "Failed"),
    pgettext_lazy("Task", "Successful"),
)
