"""Import and export of the registry in the data-dictionary formats (docs/formats.md).

model.py          the shapes passed between the steps (RowError, RawTable, ParsedRegistry, ImportResult)
columns.py        column specs of households, members and villages (headers, types, enumerations)
cells.py          one cell → a typed value, per column type
readers.py        files (.xlsx, .csv in UTF-8/UTF-8-BOM/GB18030, .parquet) → RawTable
validate.py       RawTables → ParsedRegistry (typed rows + every error), set-based, a fixed number of queries
checks.py         checks that need the acting user and the database before writing (scope, moves)
apply.py          ParsedRegistry → database (upsert keyed by 户编号 and year, history, all-or-nothing or partial)
apply_villages.py townships, villages and their yearly rows
sync.py, bulk.py  in-memory comparison and raw bulk writes (executemany on SQLite, binary COPY on PostgreSQL)
pipeline.py       read → validate → apply, shared by the CLI and the background task
tasks.py          the django-tasks task behind the upload page
export.py         database → files in the same formats; empty templates
xlsxstream.py     a streaming xlsx writer for large, byte-reproducible exports
"""
