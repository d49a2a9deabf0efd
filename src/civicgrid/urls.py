from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic.base import RedirectView

from civicgrid.api import api
from civicgrid.evaluation import views as evaluation_views
from civicgrid.intake import urls as intake_urls
from civicgrid.projects import urls as projects_urls

# The admin speaks of the platform, not of Django.
admin.site.site_header = _("civicgrid administration")
admin.site.site_title = _("civicgrid administration")
admin.site.index_title = _("Data administration")

urlpatterns = [
    path("api/", api.urls),  # first: the most called, matched after the fewest patterns
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("r/", include(intake_urls.resident)),
    path("intake/", include(intake_urls.console)),
    path("triage/", include("civicgrid.triage.urls")),
    path("notify/", include("civicgrid.notify.urls")),
    path("open311/v2/", include("civicgrid.open311.urls")),
    path("evaluation/", include("civicgrid.evaluation.urls")),
    path("councils/", include("civicgrid.councils.urls")),
    path("enterprise/", include("civicgrid.enterprise.urls")),
    path("people/", include("civicgrid.people.urls")),
    path("projects/", include("civicgrid.projects.urls")),
    path("public/projects/", include(projects_urls.public)),
    path("public/", evaluation_views.public_page, name="public"),
    path("", include("civicgrid.cases.urls")),
    path("", include("civicgrid.web.urls")),
    # Pages link the icon; this answers browsers (and the admin) that ask for it anyway.
    path("favicon.ico", RedirectView.as_view(url=static("civicgrid/img/favicon.svg"))),
]

# Under /api/ and /open311/ Django's own answers (no such URL, an unreadable request)
# come in the surface's shape, not as pages.
handler400 = "civicgrid.web.middleware.bad_request"
handler404 = "civicgrid.web.middleware.not_found"
