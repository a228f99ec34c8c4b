"""What a cockpit shows for one division and year, read from the pre-aggregated values only.

A page costs the same handful of indexed reads for a village and for the province: the division's own rows
(over the years, for the trend), its children's rows one level down (the ranking), the children's names,
the refresh log and the year's policy standard. No member, household or finding row is read here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Max, Q
from django.http import Http404
from django.utils.translation import gettext as _

from sunshine.core.choices import LEVEL_ORDER, DivisionLevel
from sunshine.core.models import Division, User
from sunshine.core.scope import division_visible, in_scope
from sunshine.dashboard.choices import Section
from sunshine.dashboard.cockpit.figures import Shown, key_figure, shown
from sunshine.dashboard.indicators import CATALOGUE, Direction, Indicator
from sunshine.dashboard.models import IndicatorRefresh, IndicatorValue
from sunshine.dashboard.selectors import Figure, Values
from sunshine.policy.parameters import StandardParameters
from sunshine.policy.selectors import StandardNotFound, standard_for

# The size of a division, always shown first (and the first column of the ranking), whatever is headline.
SIZE_CODES = ("households", "people")
# A breakdown with more keys than this lists only the keys that have a figure (rule codes, warning codes).
FULL_BREAKDOWN_KEYS = 8


@dataclass(frozen=True)
class RefreshState:
    """The years that have figures, and when the chosen year's were last computed (None: never)."""

    years: list[int]
    last: dt.datetime | None


def refresh_state(year: int) -> RefreshState:
    """One read of the (small) refresh log: every refreshed year and the last finish time of each."""
    rows = (IndicatorRefresh.objects.filter(finished_at__isnull=False).values("year")
            .annotate(last=Max("finished_at")).order_by("year"))
    last = {row["year"]: row["last"] for row in rows}
    return RefreshState(years=sorted(last), last=last.get(year))


def standard_parameters(year: int, code: str) -> StandardParameters | None:
    """The parameters of the policy standard that applies to the division in that year (None: none applies)."""
    try:
        return standard_for(year, code).params
    except StandardNotFound:
        return None


def ranked_indicator(code: str | None) -> Indicator | None:
    """The indicator the ranking orders by: the one asked for, else the first headline figure that is a
    judgement (more or less is better), else the first of the catalogue."""
    if code and code in CATALOGUE:
        return CATALOGUE[code]
    judged = [i for i in CATALOGUE.values() if i.headline and i.direction != Direction.NONE
              and i.code not in SIZE_CODES]
    if judged:
        return judged[0]
    return next(iter(CATALOGUE.values()), None)


def headline_indicators() -> list[Indicator]:
    return [i for i in CATALOGUE.values() if i.headline and i.code not in SIZE_CODES]


def ranking_columns(ranked: Indicator | None) -> list[Indicator]:
    """Households first (the size of each child), then the headline figures, then the ranked one if apart."""
    columns = [CATALOGUE[c] for c in SIZE_CODES[:1] if c in CATALOGUE] + headline_indicators()
    if ranked is not None and ranked.code not in {c.code for c in columns}:
        columns.append(ranked)
    return columns


def column_of(columns: list[Indicator], indicator: Indicator) -> int:
    return [c.code for c in columns].index(indicator.code)


@dataclass(frozen=True)
class RankRow:
    position: int
    division: Division
    cells: list[Shown]
    ranked: Shown


@dataclass(frozen=True)
class Ranking:
    indicator: Indicator
    columns: list[Indicator]
    rows: list[RankRow]

    @property
    def order_note(self) -> str:
        if self.indicator.direction == Direction.UP:
            return _("按“%(name)s”从低到高排列,最差的在前") % {"name": self.indicator.name}
        if self.indicator.direction == Direction.DOWN:
            return _("按“%(name)s”从高到低排列,最差的在前") % {"name": self.indicator.name}
        return _("按“%(name)s”从大到小排列") % {"name": self.indicator.name}


def worst_first(rows: list[RankRow], indicator: Indicator) -> list[RankRow]:
    """Worst first by the ranked figure: lowest when more is better, highest when less is better (largest
    first for a plain size). A child without the figure (a share without a base) goes last."""
    descending = indicator.direction != Direction.UP

    def key(row: RankRow) -> tuple:
        number = row.ranked.number
        if number is None:
            return (1, 0, row.division.code)
        return (0, -number if descending else number, row.division.code)

    ordered = sorted(rows, key=key)
    return [RankRow(n, r.division, r.cells, r.ranked) for n, r in enumerate(ordered, start=1)]


def ranking(*, reader: User, division: Division, indicator: Indicator | None, found: dict[str, Values],
            parameters: StandardParameters | None) -> Ranking | None:
    """The children one level down, worst first (``found``: their figures, see ``read``); None for a village."""
    if indicator is None or division.level == DivisionLevel.VILLAGE:
        return None
    columns = ranking_columns(indicator)
    # Indicators are compared by code: comparing the declarations would compare their lazy names.
    ranked = column_of(columns, indicator)
    children = in_scope(division.children.all(), reader, "code").order_by("code")
    rows = []
    for child in children:
        values = found.get(child.code, {})
        cells = [shown(column, values, parameters) for column in columns]
        rows.append(RankRow(0, child, cells, cells[ranked]))
    return Ranking(indicator=indicator, columns=columns, rows=worst_first(rows, indicator))


@dataclass(frozen=True)
class Figures:
    """What a cockpit reads: the division's own figures per year, and its children's of the chosen year."""

    by_year: dict[int, Values]
    children: dict[str, Values]


def read(*, reader: User, division: Division, year: int, years: list[int], child_codes: list[str]) -> Figures:
    """The division's rows over ``years`` and its children's rows of ``year`` (only ``child_codes``) in one
    indexed read. The same reads as selectors.trend and selectors.children_values, with the same scope rule
    (the division must be visible, every row inside the reader's scope), made once: the home page's query
    budget has no room for a division lookup per selector."""
    if not division_visible(reader, division.code):
        raise Http404("区划不存在或不在您的管辖范围内")
    wanted = Q(division_code=division.code, year__in=years)
    level = DivisionLevel(division.level)
    if level != DivisionLevel.VILLAGE and child_codes:
        child_level = LEVEL_ORDER[LEVEL_ORDER.index(level) + 1]
        wanted |= Q(year=year, level=child_level, division_code__startswith=division.prefix, code__in=child_codes)
    by_year: dict[int, Values] = {y: {} for y in years}
    children: dict[str, Values] = {}
    rows = in_scope(IndicatorValue.objects.filter(wanted), reader, "division_code")
    for r in rows.only("year", "division_code", "code", "key", "value", "denominator"):
        figure = Figure(r.value, r.denominator)
        if r.division_code == division.code:
            by_year[r.year][(r.code, r.key)] = figure
        else:
            children.setdefault(r.division_code, {})[(r.code, r.key)] = figure
    return Figures(by_year=by_year, children=children)


@dataclass
class SectionRow:
    shown: Shown
    breakdown: list[tuple[str, Shown]] = field(default_factory=list)


@dataclass
class SectionBlock:
    section: Section
    rows: list[SectionRow]

    @property
    def label(self) -> str:
        return str(self.section.label)


def breakdown(indicator: Indicator, values: Values, parameters: StandardParameters | None,
              ) -> list[tuple[str, Shown]]:
    """(label, figure) per key: every declared key when there are few, else only those with a figure; keys
    the data hold but the declaration does not name come last under their code."""
    declared = dict(indicator.keys or {})
    present = [k for (code, k) in values if code == indicator.code and k]
    if not declared and not present:
        return []
    keys = list(declared) if len(declared) <= FULL_BREAKDOWN_KEYS else [k for k in declared if k in present]
    keys += sorted(k for k in present if k not in declared)
    return [(str(declared.get(k, k)), key_figure(indicator, values, k, parameters)) for k in keys]


def sections(values: Values, parameters: StandardParameters | None) -> list[SectionBlock]:
    """Every section of the catalogue in display order, each indicator with its breakdown."""
    blocks = []
    for section in Section:
        indicators = [i for i in CATALOGUE.values() if i.section == section]
        if indicators:
            blocks.append(SectionBlock(section, [
                SectionRow(shown(i, values, parameters), breakdown(i, values, parameters)) for i in indicators]))
    return blocks


@dataclass(frozen=True)
class TrendRow:
    indicator: Indicator
    cells: list[Shown]


def trend_rows(indicators: list[Indicator], by_year: dict[int, Values], years: list[int],
               parameters: StandardParameters | None) -> list[TrendRow]:
    return [TrendRow(i, [shown(i, by_year.get(y, {}), parameters) for y in years]) for i in indicators]


def trend_years(state: RefreshState, year: int) -> list[int]:
    """The years with figures up to the chosen one (the registry's years as far as they were computed)."""
    return sorted({y for y in state.years if y <= year} | {year})


def status_counts(values: Values, code: str = "households") -> list[tuple[str, Shown]]:
    """The households (or people) by status, every status, for the figures strip and its chart."""
    indicator = CATALOGUE.get(code)
    if indicator is None:
        return []
    return [(str(label), key_figure(indicator, values, key, None)) for key, label in (indicator.keys or {}).items()]


def status_by_year(by_year: dict[int, Values], years: list[int]) -> list[tuple[str, list[Shown]]]:
    """(status label, households of that status in each year), for the composition chart and its table."""
    per_year = [status_counts(by_year.get(y, {})) for y in years]
    if not per_year:
        return []
    return [(label, [counts[n][1] for counts in per_year]) for n, (label, _shown) in enumerate(per_year[0])]


def size(values: Values) -> dict[str, Shown]:
    """Households and people of the division, over every status."""
    return {code: shown(CATALOGUE[code], values, None) for code in SIZE_CODES if code in CATALOGUE}
