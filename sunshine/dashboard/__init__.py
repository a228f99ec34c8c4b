"""Dashboards and reports: indicators pre-aggregated per division and year, the cockpit, the report pack.

The app sits above every other: it reads their tables (through the indicator catalogue's SQL) and nothing
below imports it. Other apps announce their changes with ``sunshine.core.signals.data_changed``.
"""
