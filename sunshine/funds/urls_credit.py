"""Micro-credit and asset pages (sunshine.funds.views_credit) and the public dividend announcement
(sunshine.funds.public). URL parameters are named id, code or year: tests/test_scope.py fills them with another
village's objects and expects 403/404; the public routes are listed in PUBLIC_ROUTES and checked separately."""

from django.urls import path

from sunshine.funds import public
from sunshine.funds import views_credit as views

urlpatterns = [
    path("loans/", views.loan_list, name="loan_list"),
    path("loans/portfolio/", views.loan_portfolio, name="loan_portfolio"),
    path("loans/<int:id>/", views.loan_detail, name="loan_detail"),
    path("loans/<int:id>/extend/", views.loan_extend, name="loan_extend"),
    path("loans/<int:id>/renew/", views.loan_renew, name="loan_renew"),
    path("assets/", views.asset_list, name="asset_list"),
    path("assets/<int:id>/", views.asset_detail, name="asset_detail"),
    path("assets/<int:id>/dispose/", views.asset_event, name="asset_event"),
    path("assets/events/<int:id>/attachment/", views.asset_event_attachment, name="asset_event_attachment"),
    path("dividends/", views.dividend_list, name="dividend_list"),
    path("dividends/<str:code>/<int:year>/export/", views.dividend_export, name="dividend_export"),
    path("public/dividends/<str:code>/<int:year>/", public.dividend_list, name="public_dividends"),
]

# Open to anyone without login (tests/test_scope.py checks them separately).
PUBLIC_ROUTES: tuple[str, ...] = ("public/dividends/<str:code>/<int:year>/",)
