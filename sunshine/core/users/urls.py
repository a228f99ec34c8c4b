from django.urls import path

from sunshine.core.users import views

urlpatterns = [
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/bulk/", views.user_bulk, name="user_bulk"),
    path("users/bulk/template/", views.user_bulk_template, name="user_bulk_template"),
    path("users/<int:id>/", views.user_edit, name="user_edit"),
    path("users/<int:id>/active/", views.user_set_active, name="user_set_active"),
    path("users/<int:id>/reset-password/", views.user_reset_password, name="user_reset_password"),
    path("account/password/", views.password_change, name="password_change"),
]
