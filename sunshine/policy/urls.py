from django.urls import path

from sunshine.policy import views

urlpatterns = [
    path("policy/standards/", views.standard_list, name="policy_standards"),
    path("policy/standards/new/", views.standard_create, name="policy_standard_create"),
]
