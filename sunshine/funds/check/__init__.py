"""The funds check (funds.md §3–4, §7): the engine's F-* and P-* rules over a snapshot of the funds tables and
the registry, stored as a run whose findings join the one verification workflow."""
