"""The public portal (阳光扶贫公示, services.md §1): the landing page by county → township → village and each
division's page of what is announced there now and what was (selectors.py, views.py), and the short cache every
public reading page goes through (cache.py)."""
