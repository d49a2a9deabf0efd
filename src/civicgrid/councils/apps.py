from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CouncilsConfig(AppConfig):
    name = "civicgrid.councils"
    label = "councils"
    verbose_name = _("Councils")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Inspection photos are staged like a case's: tell the photos' tidy-up whose rows
        # name them.
        from civicgrid.cases.photos import keep_rows_of
        from civicgrid.councils.convention_models import INSPECTION_PHOTOS, InspectionPhoto

        keep_rows_of(
            INSPECTION_PHOTOS, lambda name: InspectionPhoto.objects.filter(name=name).exists()
        )
