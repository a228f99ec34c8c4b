"""The public portal (sunshine.disclosure.portal): no login; listed in PUBLIC_ROUTES."""

from django.urls import path

from sunshine.disclosure.portal import views

urlpatterns = [
    path("public/", views.home, name="public_home"),
    path("public/divisions/<str:code>/", views.division, name="public_division"),
]

PUBLIC_ROUTES: tuple[str, ...] = ("public/", "public/divisions/<str:code>/")
