from django.urls import path

from sunshine.registry import views

urlpatterns = [
    path("households/", views.household_list, name="household_list"),
    path("households/new/", views.household_create, name="household_create"),
    path("households/<str:household_no>/", views.household_detail, name="household_detail"),
    path("households/<str:household_no>/<int:year>/edit/", views.household_edit, name="household_edit"),
    path("households/<str:household_no>/<int:year>/members/new/", views.member_create, name="member_create"),
    path("households/<str:household_no>/<int:year>/head/", views.household_change_head, name="household_change_head"),
    path("members/<int:member_id>/edit/", views.member_edit, name="member_edit"),
]
