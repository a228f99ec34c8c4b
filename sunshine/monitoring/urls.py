from sunshine.monitoring import urls_sampling, urls_warnings

urlpatterns = [*urls_warnings.urlpatterns, *urls_sampling.urlpatterns]
