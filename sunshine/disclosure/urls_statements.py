from django.urls import URLPattern

urlpatterns: list[URLPattern] = []

PUBLIC_ROUTES: tuple[str, ...] = ()
