from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "civicgrid.notify"
    label = "notify"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from civicgrid.notify import checks  # noqa: F401  (registers the settings check)
