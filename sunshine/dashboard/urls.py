from sunshine.dashboard.cockpit.urls import urlpatterns as cockpit_urls
from sunshine.dashboard.report.urls import urlpatterns as report_urls

urlpatterns = [*cockpit_urls, *report_urls]
