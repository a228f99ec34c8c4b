"""Fund pages: the fund list and trail, the payment search and the funds check button (sunshine.funds.views_funds).
None is public: public announcements are the project library's (urls_projects.PUBLIC_ROUTES)."""

from django.urls import path

from sunshine.funds import views_funds as views

urlpatterns = [
    path("funds/", views.fund_list, name="fund_list"),
    path("funds/check/", views.funds_check, name="funds_check"),
    path("funds/<int:id>/", views.fund_trail, name="fund_trail"),
    path("payments/", views.payment_list, name="payment_list"),
    path("payments/<int:id>/", views.payment_detail, name="payment_detail"),
]
PUBLIC_ROUTES: tuple[str, ...] = ()
