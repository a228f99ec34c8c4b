from django.contrib.auth import views as auth_views
from django.urls import include, path

from sunshine.core import views
from sunshine.core.auditlog import views as audit_views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("sunshine.core.users.urls")),
    path("", include("sunshine.core.tokens.urls")),
    path("audit/", audit_views.audit_log, name="audit_log"),
    path("audit/export/", audit_views.audit_export, name="audit_export"),
    path("audit/verify/", audit_views.audit_verify, name="audit_verify"),
]
