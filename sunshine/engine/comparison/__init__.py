"""Cross-department comparison (policy-rules.md §4): the rule catalogue as SQL over a registry snapshot and
department dataset loads, run on DuckDB or Spark with identical results."""
