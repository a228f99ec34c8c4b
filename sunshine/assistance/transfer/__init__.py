"""Assistance files (services.md §5): cadres, pairings, visits, work teams — read, checked and written with the
pieces of the funds importer (sunshine.funds.transfer: Sheet, Context, in_chunks, Counts)."""
