"""The cockpit pages: a division's headline figures against their targets, trend, ranking, drill-down."""
