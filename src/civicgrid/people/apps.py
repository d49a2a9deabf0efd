from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "civicgrid.people"
    label = "people"
    verbose_name = _("People in the grids")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from civicgrid.cases.photos import keep_rows_of
        from civicgrid.people.call_models import CALL_PHOTOS, CallClaim

        # A grid call's report photo is staged like a case's (``cases.photos``).
        keep_rows_of(CALL_PHOTOS, lambda name: CallClaim.objects.filter(photo=name).exists())
