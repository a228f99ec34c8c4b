"""The cadre's phone pages for visits (sunshine.assistance.visits). Included by sunshine/assistance/urls.py.
Parameters are named id (tests/test_scope.py fills them with another village's objects and expects 403/404)."""

from django.urls import path

from sunshine.assistance.visits import views

urlpatterns = [
    path("assistance/visits/", views.home, name="visit_home"),
    path("assistance/visits/sw.js", views.service_worker, name="visit_sw"),
    path("assistance/visits/households/<int:id>/new/", views.new, name="visit_new"),
    path("assistance/visits/photos/<int:id>/", views.photo, name="visit_photo"),
]
