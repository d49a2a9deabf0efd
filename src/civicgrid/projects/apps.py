from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "civicgrid.projects"
    label = "projects"
    verbose_name = _("Projects")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Observation photos are staged like a case's: tell the photos' tidy-up whose rows
        # name them.
        from civicgrid.cases.photos import keep_rows_of
        from civicgrid.projects.models import OBSERVATION_PHOTOS, ObservationPhoto

        keep_rows_of(
            OBSERVATION_PHOTOS, lambda name: ObservationPhoto.objects.filter(name=name).exists()
        )
