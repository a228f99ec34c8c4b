"""Comparison runs: a frozen snapshot of the registry and the department loads, the engine run over it, the
findings stored with their recurrence, the background job and the command line."""
