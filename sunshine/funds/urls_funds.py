from django.urls import path  # noqa: F401

urlpatterns: list = []
PUBLIC_ROUTES: tuple[str, ...] = ()
