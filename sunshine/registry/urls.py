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

# Import and export (views_transfer.py).
from sunshine.registry import views_transfer  # noqa: E402

urlpatterns += [
    path("transfer/", views_transfer.transfer_index, name="transfer"),
    path("transfer/jobs/<int:job_id>/", views_transfer.transfer_job, name="transfer_job"),
    path("transfer/jobs/<int:job_id>/errors/", views_transfer.transfer_job_errors, name="transfer_job_errors"),
    path("export/households/", views_transfer.export_households, name="export_households"),
    path("export/year/", views_transfer.export_year, name="export_year"),
    path("export/template/", views_transfer.export_template, name="export_template"),
]
