"""Warning and monitored-household pages (views_warnings.py, views_monitored.py). URL parameters are named id:
tests/test_scope.py fills them with another village's objects and expects 403/404."""

from django.urls import path

from sunshine.monitoring import views_monitored, views_warnings

urlpatterns = [
    path("monitoring/", views_warnings.warning_list, name="monitoring_warnings"),
    path("monitoring/overdue/", views_warnings.warning_overdue, name="monitoring_overdue"),
    path("monitoring/warnings/<int:id>/", views_warnings.warning_detail, name="monitoring_warning"),
    path("monitoring/warnings/<int:id>/verify/", views_warnings.warning_verify, name="monitoring_warning_verify"),
    path("monitoring/warnings/<int:id>/measures/", views_warnings.warning_measure,
         name="monitoring_warning_measure"),
    path("monitoring/warnings/<int:id>/clear/", views_warnings.warning_clear, name="monitoring_warning_clear"),
    path("monitoring/warnings/<int:id>/hand-over/", views_warnings.warning_hand_over,
         name="monitoring_warning_hand_over"),
    path("monitoring/monitored/", views_monitored.monitored_list, name="monitoring_monitored_list"),
    path("monitoring/monitored/<int:id>/", views_monitored.monitored_detail, name="monitoring_monitored"),
]
