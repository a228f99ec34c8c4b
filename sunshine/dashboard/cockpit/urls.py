"""The cockpit pages: a division's headline figures against their targets, trend, ranking, drill-down.

The home page and the former division page (/divisions/<code>/) are served here too: the drill-down lives in
the dashboard app, above the apps whose figures it shows."""

from django.urls import URLPattern, path, register_converter

from sunshine.dashboard.cockpit import views


class DivisionCode:
    """A 12-digit division code, so that /dashboard/report/ and other words stay free for other pages."""

    regex = "[0-9]{12}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(DivisionCode, "division_code")

urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("dashboard/", views.own_cockpit, name="dashboard_home"),
    path("dashboard/<division_code:code>/", views.division_cockpit, name="dashboard_division"),
    path("divisions/<str:code>/", views.division_cockpit, name="division"),
]
