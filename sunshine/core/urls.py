from django.contrib.auth import views as auth_views
from django.urls import include, path

from sunshine.core import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("divisions/<str:code>/", views.division_detail, name="division"),
    path("", include("sunshine.core.users.urls")),
]
