"""What differs between SQL dialects, in one place, and the literals the generated SQL embeds.

The SQL of sunshine.engine.assessment and sunshine.engine.comparison is generated in DuckDB's dialect, plain
ANSI except for the expressions built here. ``SparkDialect.finish`` translates a finished statement with
sqlglot (read duckdb, write spark); a construct sqlglot does not translate faithfully gets a hook here that
both engines run the same way (e.g. ``sorted_list``: list_sort(list(x)) becomes array_sort(collect_list(x)),
where an ordered list(x ORDER BY x) would lose its order).
Output criteria and results are TINYINT ranks; the runner turns them into words, so no dialect has to
build those strings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal


class Dialect:
    name = "duckdb"

    def string_agg(self, expr: str, separator: str, order_by: str) -> str:
        """Non-null values of ``expr`` joined with ``separator`` in ``order_by`` order (NULL when none)."""
        return f"string_agg({expr}, {string_literal(separator)} ORDER BY {order_by})"

    def list_agg(self, expr: str, order_by: str, where: str) -> str:
        """A list of ``expr`` over the rows where ``where`` holds, ordered (NULL when none)."""
        return f"list({expr} ORDER BY {order_by}) FILTER (WHERE {where})"

    def empty_string_list(self) -> str:
        return "CAST([] AS VARCHAR[])"

    def fen(self, yuan: str) -> str:
        """A DECIMAL(·, 2) amount of yuan as BIGINT fen, exactly. Kept within DECIMAL(18, ·) so that DuckDB
        computes on 64-bit integers (a wider decimal is five times slower)."""
        return f"CAST(CAST({yuan} AS DECIMAL(18, 2)) * CAST(100 AS DECIMAL(3, 0)) AS BIGINT)"

    def yuan(self, fen: str) -> str:
        """BIGINT fen as DECIMAL(18, 2) yuan, exactly."""
        return f"(CAST({fen} AS DECIMAL(16, 0)) * CAST(0.01 AS DECIMAL(2, 2)))"

    def int_div(self, numerator: str, denominator: str) -> str:
        """Integer division truncating toward zero."""
        return f"({numerator} // {denominator})"

    def decimal_text(self, expr: str) -> str:
        """A DECIMAL(p, 2) as written: 150000.00 → '150000.00'."""
        return f"CAST({expr} AS VARCHAR)"

    def int_text(self, expr: str) -> str:
        return f"CAST({expr} AS VARCHAR)"

    def percent_text(self, numerator: str, denominator: str) -> str:
        """100 × numerator / denominator with two decimals: '98.50'."""
        return f"printf('%.2f', 100.0 * {numerator} / {denominator})"

    def age_on(self, birth_date: str, year: int, month: int, day: int) -> str:
        """Completed years on month/day of ``year`` (NULL when the birth date is unknown)."""
        return (
            f"({year} - year({birth_date}) - CASE WHEN month({birth_date}) > {month} OR "
            f"(month({birth_date}) = {month} AND day({birth_date}) > {day}) THEN 1 ELSE 0 END)"
        )

    def starts_with(self, column: str, prefix: str) -> str:
        if not prefix.isdigit():
            raise ValueError(f"a division prefix is digits only: {prefix!r}")
        return f"{column} LIKE '{prefix}%'"

    def sorted_list(self, expr: str) -> str:
        """The values of ``expr`` in a group as a list in ascending order."""
        return f"list_sort(list({expr}))"

    def empty_list(self, element_type: str) -> str:
        return f"CAST([] AS {element_type}[])"

    def finish(self, sql: str) -> str:
        """The statement as this dialect runs it (the SQL above is generated in DuckDB's dialect)."""
        return sql


class SparkDialect(Dialect):
    """Spark SQL: the DuckDB statement translated by sqlglot. The generators keep to constructs sqlglot
    translates faithfully (list_sort(list(x)) → array_sort(collect_list(x)), x // y → x DIV y, [] literals,
    TRY_CAST, regexp_matches → RLIKE, NULLS LAST written out); what it cannot translate goes in a hook here."""

    name = "spark"

    def finish(self, sql: str) -> str:
        import sqlglot

        return sqlglot.transpile(sql, read="duckdb", write="spark", pretty=False)[0]


DUCKDB = Dialect()
SPARK = SparkDialect()


def string_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def decimal_literal(value: Decimal | int) -> str:
    """An exact numeric literal (a DECIMAL in DuckDB and Spark): 0.97, 180000.00."""
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return format(number, "f")


def in_list(values: Iterable[str]) -> str:
    return "(" + ", ".join(string_literal(v) for v in values) + ")"


def label_of(expr: str, labels: Mapping[str, str]) -> str:
    """The Chinese label of a code column; an unknown code is shown as it is."""
    whens = " ".join(f"WHEN {string_literal(k)} THEN {string_literal(v)}" for k, v in labels.items())
    return f"CASE {expr} {whens} ELSE {expr} END"


def rank(expr: str) -> str:
    """A state rank (0 pass, 1 missing, 2 fail) or result rank (0 meets, 1 incomplete, 2 fails) as output:
    a TINYINT; the runner turns ranks into their words (sunshine.engine.assessment.labelled)."""
    return f"CAST({expr} AS TINYINT)"


def yes_no_state(column: str) -> str:
    """A 是/否 indicator as a state rank: 是 passes, 否 fails, empty is missing."""
    return f"CASE WHEN {column} THEN 0 WHEN NOT {column} THEN 2 ELSE 1 END"
