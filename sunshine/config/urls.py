from django.contrib import admin
from django.urls import include, path

from sunshine.config.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("sunshine.core.urls")),
    path("", include("sunshine.registry.urls")),
    path("", include("sunshine.assessment.urls")),
    path("", include("sunshine.comparison.urls")),
    path("", include("sunshine.monitoring.urls")),
    path("", include("sunshine.workflow.urls")),
    path("", include("sunshine.funds.urls")),
    path("", include("sunshine.policy.urls")),
    path("", include("sunshine.library.urls")),
    path("", include("sunshine.disclosure.urls")),
    path("", include("sunshine.grievance.urls")),
    path("", include("sunshine.assistance.urls")),
    path("", include("sunshine.dashboard.urls")),
]
