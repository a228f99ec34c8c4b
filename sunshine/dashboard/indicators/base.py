"""The shape of an indicator: what it counts, over which tables, against which target.

An indicator is a declaration plus one SQL statement per year. The statement returns rows
``(division_code, key, value, denominator)`` at whatever level the data belongs to (a household's village,
a fund's county); ``refresh`` sums them up every level to the province. ``key`` splits the indicator
(a status, a rule code, a state); "" when it has no breakdown. ``denominator`` is NULL unless the indicator
is a share. The SQL must run unchanged on SQLite and PostgreSQL (plain SELECT, GROUP BY, CASE, COALESCE).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.db import models

Query = tuple[str, Sequence[Any]]


class Kind(StrEnum):
    COUNT = "count"  # households, people, findings… (an integer)
    SUM = "sum"  # yuan
    SHARE = "share"  # value / denominator


class Direction(StrEnum):
    UP = "up"  # more is better (exits, pass rates, funds spent)
    DOWN = "down"  # less is better (overdue findings, idle funds)
    NONE = ""  # a size, not a judgement


@dataclass(frozen=True)
class Target:
    """What the policy asks for: a fixed number (1 = 100%) or a parameter of the year's policy standard."""

    value: Decimal | None = None
    parameter: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    unit: str
    section: str
    query: Callable[[int], Query]
    kind: Kind = Kind.COUNT
    direction: Direction = Direction.NONE
    target: Target | None = None
    keys: Mapping[str, str] | None = None  # breakdown key → label, in display order
    sources: frozenset[str] = field(default_factory=frozenset)  # apps whose changes call for a refresh
    description: str = ""
    headline: bool = False  # shown among the cockpit's headline figures
    uses: tuple[str, ...] = ()  # prepared tables the statement reads (indicators.prepared), built once per refresh


def table(model: type[models.Model]) -> str:
    """The quoted table name, so the SQL follows the models instead of repeating their names."""
    from django.db import connection

    return connection.ops.quote_name(model._meta.db_table)


def statement(template: str, **models_: type[models.Model]) -> str:
    """``template`` with each ``{name}`` replaced by that model's quoted table name.

    Only table names are formatted in, and they come from the models, never from a request; values always
    travel as query parameters.
    """
    return template.format(**{name: table(model) for name, model in models_.items()})


def labels(choices: type[models.TextChoices]) -> dict[str, str]:
    """Breakdown labels from a choice set (lazy, translated when shown)."""
    return {value: label for value, label in choices.choices}
