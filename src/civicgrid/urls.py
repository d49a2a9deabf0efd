from django.contrib import admin
from django.urls import include, path

from civicgrid.api import api
from civicgrid.evaluation import views as evaluation_views
from civicgrid.intake import urls as intake_urls

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
    path("public/", evaluation_views.public_page, name="public"),
    path("", include("civicgrid.cases.urls")),
    path("", include("civicgrid.web.urls")),
]

# Under /api/ and /open311/ Django's own answers (no such URL, an unreadable request)
# come in the surface's shape, not as pages.
handler400 = "civicgrid.web.middleware.bad_request"
handler404 = "civicgrid.web.middleware.not_found"
