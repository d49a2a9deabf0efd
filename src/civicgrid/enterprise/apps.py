from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnterpriseConfig(AppConfig):
    name = "civicgrid.enterprise"
    label = "enterprise"
    verbose_name = _("Enterprise window")
    default_auto_field = "django.db.models.BigAutoField"
