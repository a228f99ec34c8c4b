"""The assistance check: the R-* rules of services.md §5 stored as a run in the verification workflow."""
