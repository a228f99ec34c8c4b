"""The tables an assistance check reads and the table it writes, as Arrow schemas, declared once.

households   registry facts of the year: household_no, village division_code, status, exit_year
cadres       cadre_no, name, division_code (the managing division)
pairings     cadre_no, household_no, start_date, end_date (NULL: open); a pairing covers T when
             start_date ≤ T ≤ end_date
visits       cadre_no, household_no, date
villages     division_code, weak_village (省定经济薄弱村 in the year)
work_teams   village division_code, cadre_no, role (first_secretary · member), start_date, end_date
measures     household_no, year, date (帮扶措施, sunshine.monitoring's Measure)
assessments  household_no, run_id, official, result (meets · fails · incomplete) of household runs of the
             year; the latest official one (highest run_id) counts

Dates are date32; an absent table is read as empty. Names never reach the engine except cadres' (a cadre is a
public servant; the explanation names the cadre's number only)."""

from __future__ import annotations

import pyarrow as pa

from sunshine.engine.funds.tables import TableError

__all__ = ["FINDINGS", "TABLES", "TableError", "conform"]


def _schema(*fields: tuple[str, pa.DataType] | tuple[str, pa.DataType, bool]) -> pa.Schema:
    return pa.schema([pa.field(f[0], f[1], nullable=f[2] if len(f) > 2 else True) for f in fields])


TABLES: dict[str, pa.Schema] = {
    "households": _schema(("household_no", pa.string(), False), ("division_code", pa.string()),
                          ("status", pa.string()), ("exit_year", pa.int32())),
    "cadres": _schema(("cadre_no", pa.string(), False), ("name", pa.string()), ("division_code", pa.string())),
    "pairings": _schema(("cadre_no", pa.string(), False), ("household_no", pa.string(), False),
                        ("start_date", pa.date32()), ("end_date", pa.date32())),
    "visits": _schema(("cadre_no", pa.string()), ("household_no", pa.string(), False), ("date", pa.date32())),
    "villages": _schema(("division_code", pa.string(), False), ("weak_village", pa.bool_())),
    "work_teams": _schema(("division_code", pa.string(), False), ("cadre_no", pa.string()),
                          ("role", pa.string()), ("start_date", pa.date32()), ("end_date", pa.date32())),
    "measures": _schema(("household_no", pa.string(), False), ("year", pa.int32()), ("date", pa.date32())),
    "assessments": _schema(("household_no", pa.string(), False), ("run_id", pa.int64()),
                           ("official", pa.bool_()), ("result", pa.string())),
}

FINDINGS = _schema(
    ("rule", pa.string(), False), ("severity", pa.string()), ("year", pa.int32()), ("subject", pa.string()),
    ("key", pa.string()), ("household_no", pa.string()), ("cadre_no", pa.string()),
    ("division_code", pa.string()), ("explanation", pa.string()),
)


def conform(name: str, table: pa.Table) -> pa.Table:
    """``table`` with the columns of schema ``name`` in order, cast to its types (a missing column is NULL)."""
    schema = TABLES[name]
    columns = []
    for f in schema:
        if f.name not in table.column_names:
            if not f.nullable:
                raise TableError(f"{name}: column {f.name} is missing")
            columns.append(pa.nulls(table.num_rows, f.type))
            continue
        column = table.column(f.name)
        if column.type != f.type:
            column = column.cast(f.type)
        if not f.nullable and column.null_count:
            raise TableError(f"{name}.{f.name}: {column.null_count} empty values")
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=schema)
