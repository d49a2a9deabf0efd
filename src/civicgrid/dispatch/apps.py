from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "civicgrid.dispatch"
    label = "dispatch"
    verbose_name = _("Dispatch and deadlines")
