"""Benefits statements (明白册): query codes of households (models_statements.py)."""
