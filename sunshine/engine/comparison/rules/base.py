"""The pieces every comparison rule is built from: parameters, the registry, a dataset's resolved rows, and
the projection of a finding.

A rule is a list of common table expressions ending in one SELECT that yields the FINDINGS columns plus
``first_row`` (the lowest evidence row, for the fixed order). Rules are written once, in DuckDB SQL; the Spark
dialect translates the finished statement (sunshine.engine.dialect.SparkDialect.finish).

Resolved rows. A department row counts as a registry member's when its ``id_hash`` equals the member's (an
'exact' load has it computed from the ID when stored, a 'hashed' one was sent it), or when the row has no key and
``links`` ties it to the member (match 'probabilistic', with the link's probability). Keyed rows are never
taken from ``links``, so one row cannot count twice for one member. ``resolved`` writes this once; every rule
that reads a dataset reads it through ``resolved``.
"""
# ruff: noqa: S608 - SQL is generated from validated numbers and fixed codes; data never enters the text

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sunshine.engine import vocabulary as v
from sunshine.engine.comparison.catalogue import EXACT, HASHED, PROBABILISTIC, RULES
from sunshine.engine.comparison.datasets import DATASETS
from sunshine.engine.dialect import DUCKDB, Dialect, in_list, string_literal

CTE = tuple[str, str]

FINDING_TYPES = {
    "rule": "VARCHAR", "severity": "VARCHAR", "year": "INTEGER", "household_key": "BIGINT",
    "household_no": "VARCHAR", "member_key": "BIGINT", "village_code": "VARCHAR", "id_number": "VARCHAR",
    "id_hash": "VARCHAR", "name": "VARCHAR", "dataset": "VARCHAR", "source_rows": "BIGINT[]", "match": "VARCHAR",
    "probability": "DOUBLE", "explanation": "VARCHAR",
}
# The engine orders by the hash; prepare.resolve_ids orders again by the plain ID it puts back.
ORDER = ("household_no", "id_hash", "dataset", "first_row", "member_key")
REGISTRY_COLUMNS = ("member_key", "household_key", "household_no", "village_code", "name", "id_hash",
                    "gender", "birth_date", "relation", "education_level", "school_status", "receives_dibao",
                    "housing_grade", "renovation_status")


@dataclass(frozen=True)
class Params:
    """The numbers of a policy standard the comparison rules use."""

    school_age_min: int
    school_age_max: int
    age_cutoff_month: int
    age_cutoff_day: int
    pension_age_min: int
    business_capital_min: Decimal
    medical_cost_signal: Decimal

    @classmethod
    def from_mapping(cls, params: Mapping[str, Any]) -> Params:
        values: dict[str, Any] = {}
        for name, type_ in cls.__annotations__.items():
            if name not in params:
                raise KeyError(f"parameter {name!r} is missing")
            try:
                number = Decimal(str(params[name]))
            except InvalidOperation as exc:
                raise ValueError(f"parameter {name!r} is not a number: {params[name]!r}") from exc
            if not number.is_finite():
                raise ValueError(f"parameter {name!r} is not finite")
            if type_ == "int":
                if number != number.to_integral_value():
                    raise ValueError(f"parameter {name!r} must be an integer")
                values[name] = int(number)
            else:
                values[name] = number.quantize(Decimal("0.01"))
        return cls(**values)


@dataclass(frozen=True)
class Context:
    """Everything a rule's SQL depends on."""

    year: int
    params: Params
    key_kinds: Mapping[str, str]
    division_prefix: str | None
    dialect: Dialect = DUCKDB
    links: bool = True

    @property
    def check_date(self) -> str:
        return f"DATE '{dt.date(self.year, 12, 31).isoformat()}'"

    @property
    def check_text(self) -> str:
        return f"{self.year}年12月31日"

    def kind(self, dataset: str) -> str:
        kind = self.key_kinds[dataset]
        if kind not in (EXACT, HASHED):
            raise ValueError(f"key kind of {dataset} must be 'exact' or 'hashed', not {kind!r}")
        return kind

    def key(self, dataset: str) -> str:
        self.kind(dataset)  # checked
        return "id_hash"

    def age(self, birth_date: str) -> str:
        p = self.params
        return self.dialect.age_on(birth_date, self.year, p.age_cutoff_month, p.age_cutoff_day)

    def in_division(self, column: str) -> str:
        return self.dialect.starts_with(column, self.division_prefix) if self.division_prefix else "TRUE"


def active_at(ctx: Context, start: str, end: str) -> str:
    return f"({start} <= {ctx.check_date} AND ({end} IS NULL OR {end} >= {ctx.check_date}))"


def in_year(ctx: Context, column: str) -> str:
    return f"({column} >= DATE '{ctx.year}-01-01' AND {column} <= {ctx.check_date})"


def registry_ctes(ctx: Context) -> list[CTE]:
    """``registry_all``: active members of the year in households not 已销户, wherever they live;
    ``registry``: those of the division (the members a run reports on)."""
    columns = ", ".join(REGISTRY_COLUMNS)
    registry_all = f"""  SELECT {columns}
  FROM people
  WHERE year = {int(ctx.year)} AND member_status = '{v.MEMBER_ACTIVE}'
    AND (household_status IS NULL OR household_status <> '{v.CLOSED}')"""
    registry = f"  SELECT * FROM registry_all WHERE {ctx.in_division('village_code')}"
    return [("registry_all", registry_all), ("registry", registry)]


def resolved(ctx: Context, dataset: str, *, columns: tuple[str, ...] = (), where: str = "TRUE",
             people: str = "registry") -> str:
    """The rows of ``ds_<dataset>`` satisfying ``where`` (over alias ``d``) with the member of ``people`` each
    belongs to: member_key, source_row, match, probability and ``columns``."""
    key = ctx.key(dataset)
    own = "".join(f", d.{c}" for c in columns)
    keyed = f"""    SELECT r.member_key, d.source_row, '{ctx.kind(dataset)}' AS match,
           CAST(NULL AS DOUBLE) AS probability{own}
    FROM ds_{dataset} AS d JOIN {people} AS r ON r.{key} = d.{key}
    WHERE {where}"""
    if not ctx.links:
        return keyed
    linked = f"""    SELECT l.member_key, d.source_row, '{PROBABILISTIC}' AS match, l.probability{own}
    FROM ds_{dataset} AS d
    JOIN links AS l ON l.dataset = {string_literal(dataset)} AND l.source_row = d.source_row
    WHERE d.{key} IS NULL AND l.member_key IN (SELECT member_key FROM {people}) AND ({where})"""
    return f"{keyed}\n    UNION ALL\n{linked}"


def evidence(ctx: Context, dataset: str) -> str:
    """The aggregates every finding over resolved rows carries (for a GROUP BY member_key)."""
    return (f"{ctx.dialect.sorted_list('source_row')} AS source_rows, min(source_row) AS first_row, "
            f"CASE WHEN bool_or(match = '{PROBABILISTIC}') THEN '{PROBABILISTIC}' "
            f"ELSE '{ctx.kind(dataset)}' END AS match, min(probability) AS probability")


def finding(code: str, ctx: Context, **columns: str) -> str:
    """The SELECT list of a finding: the given column expressions, typed NULLs for the others."""
    rule = RULES[code]
    given = {"rule": string_literal(code), "severity": string_literal(rule.severity), "year": str(int(ctx.year)),
             **columns}
    parts = []
    for name, sql_type in FINDING_TYPES.items():
        expr = given.get(name)
        if name == "source_rows" and expr is None:
            expr = ctx.dialect.empty_list("BIGINT")
        parts.append(f"CAST({expr if expr is not None else 'NULL'} AS {sql_type}) AS {name}")
    parts.append(f"CAST({columns.get('first_row', 'NULL')} AS BIGINT) AS first_row")
    return ",\n         ".join(parts)


def member_finding(code: str, ctx: Context, dataset: str | None, explanation: str, *, r: str = "r",
                   a: str | None = "a", **overrides: str) -> str:
    """A finding about registry member ``r`` (alias), with evidence aggregates from ``a`` (or none:
    an empty list, and the dataset's key kind as match); ``overrides`` replace column expressions."""
    cols = {
        "household_key": f"{r}.household_key", "household_no": f"{r}.household_no", "member_key": f"{r}.member_key",
        "village_code": f"{r}.village_code", "id_hash": f"{r}.id_hash", "name": f"{r}.name",
        "explanation": explanation,
    }
    if dataset is not None:
        cols["dataset"] = string_literal(dataset)
        cols["match"] = f"{a}.match" if a else string_literal(ctx.kind(dataset))
    if a:
        cols |= {"source_rows": f"{a}.source_rows", "probability": f"{a}.probability", "first_row": f"{a}.first_row"}
    return finding(code, ctx, **(cols | overrides))


def who(r: str = "r") -> str:
    """'成员张三' (an unknown name is left out rather than blanking the sentence)."""
    return f"'成员' || coalesce({r}.name, '')"


def label(dataset: str) -> str:
    return DATASETS[dataset].label


def text(expr: str) -> str:
    """A date, integer or DECIMAL(·, 2) as text; the same on DuckDB and Spark."""
    return f"CAST({expr} AS VARCHAR)"


def codes(values: tuple[str, ...] | list[str]) -> str:
    return in_list(values)
