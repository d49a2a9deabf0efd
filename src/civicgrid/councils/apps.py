from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CouncilsConfig(AppConfig):
    name = "civicgrid.councils"
    label = "councils"
    verbose_name = _("Councils")
    default_auto_field = "django.db.models.BigAutoField"
