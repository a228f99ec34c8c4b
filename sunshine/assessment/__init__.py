"""Exit assessment of households, villages and key counties (policy-rules.md §1–§3), run by the engine."""
