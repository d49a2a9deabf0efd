from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TriageConfig(AppConfig):
    name = "civicgrid.triage"
    verbose_name = _("Triage")
    default_auto_field = "django.db.models.BigAutoField"
