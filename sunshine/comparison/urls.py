from sunshine.comparison import urls_datasets, urls_runs

urlpatterns = [*urls_datasets.urlpatterns, *urls_runs.urlpatterns]
