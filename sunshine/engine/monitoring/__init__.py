"""Monitoring and early warning (policy-rules.md §5) as SQL over the registry snapshot and comparison signals."""
