"""The standard tables of the report pack, built only from the pre-aggregated values (selectors), so that every
total in the xlsx and the PDF is the figure the cockpit shows for the same division and year.

A table is a list of rows under Chinese headers plus a total row. Per-division tables have one row per child
division (by township for a county) and, as total, the division's own stored figures (not a re-addition of
the rows: a figure stored at the division's own level, such as a county's funds, still counts). Key tables
have one row per breakdown key (fund source, rule, warning code) of the division. A table whose indicators
are not in the catalogue is left out, so the pack follows the catalogue as indicators are added.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from sunshine.core.choices import LEVEL_ORDER, DivisionLevel
from sunshine.core.models import Division, User
from sunshine.core.templatetags.sunshine_tags import money, num, pct
from sunshine.dashboard import selectors
from sunshine.dashboard.indicators import CATALOGUE, Indicator, Kind
from sunshine.dashboard.selectors import Values

Cell = Decimal | str | None


class Format(StrEnum):
    TEXT = "text"
    COUNT = "count"  # #,##0
    MONEY = "money"  # #,##0.00 (yuan)
    SHARE = "share"  # 0.0%


@dataclass(frozen=True)
class Column:
    header: str
    format: Format = Format.COUNT


@dataclass
class Table:
    slug: str  # stable id (tests, anchors)
    sheet: str  # the xlsx sheet name (≤ 31 characters)
    title: str
    columns: list[Column]
    rows: list[list[Cell]]
    total: list[Cell] | None = None
    note: str = ""

    def column(self, header: str) -> int:
        return [c.header for c in self.columns].index(header)


@dataclass
class Pack:
    division: Division
    year: int
    refreshed_at: dt.datetime | None
    child_level: str  # the label of the rows of the per-division tables (乡镇 for a county)
    tables: list[Table] = field(default_factory=list)

    def table(self, slug: str) -> Table | None:
        return next((t for t in self.tables if t.slug == slug), None)

    @property
    def title(self) -> str:
        return _("%(division)s %(year)s年度统计报表") % {"division": self.division.name, "year": self.year}


def display(value: Cell, format_: Format) -> str:
    """A cell as printed in the PDF and on the page (the same filters as everywhere else)."""
    if value is None:
        return "—" if format_ == Format.SHARE else ""
    if isinstance(value, str):
        return value
    return {Format.COUNT: num, Format.MONEY: money, Format.SHARE: pct}.get(format_, str)(value)


# ---- measures: one column of a per-division table --------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    header: str
    code: str
    keys: tuple[str, ...] | None = None  # None: every key summed
    share: bool = False

    def format(self) -> Format:
        if self.share:
            return Format.SHARE
        return Format.MONEY if CATALOGUE[self.code].kind == Kind.SUM else Format.COUNT

    def of(self, values: Values) -> Cell:
        figure = selectors.total(values, self.code, self.keys)
        return figure.share if self.share else figure.value


def _present(*codes: str) -> bool:
    return all(code in CATALOGUE for code in codes)


def key_labels(indicator: Indicator, found: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(key, label) in the catalogue's order, then keys met in the data that it does not name (a new rule
    code), as they are."""
    declared = dict(indicator.keys or {})
    extra = sorted(set(found) - set(declared))
    return [(k, str(v)) for k, v in declared.items()] + [(k, k) for k in extra]


def _keys_in(values: Iterable[Values], code: str) -> set[str]:
    return {k for vals in values for (c, k) in vals if c == code}


def by_key(code: str, found: Iterable[str] = (), *, share: bool = False, total: str | None = None,
           ) -> list[Measure]:
    """A column per breakdown key of ``code`` (and a 合计 column summing them when ``total`` names it)."""
    indicator = CATALOGUE[code]
    columns = [Measure(label, code, (key,), share=share) for key, label in key_labels(indicator, found)]
    if total is not None:
        columns.append(Measure(total, code))
    return columns


# ---- the pack -------------------------------------------------------------------------------------------------


@dataclass
class _Source:
    """What the builders read: the division's figures and its children's, read once."""

    reader: User
    division: Division
    year: int
    own: Values
    children: list[tuple[Division, Values]]

    def all_values(self) -> list[Values]:
        return [self.own, *(v for _, v in self.children)]


def child_level(division: Division) -> DivisionLevel | None:
    level = DivisionLevel(division.level)
    return None if level == DivisionLevel.VILLAGE else LEVEL_ORDER[LEVEL_ORDER.index(level) + 1]


def build(*, reader: User, division_code: str, year: int) -> Pack:
    """Every standard table of ``division_code`` and ``year`` as ``reader`` may see them (404 outside scope)."""
    division = selectors.division(reader, division_code)
    own = selectors.values(reader=reader, division_code=division.code, year=year)
    below = child_level(division)
    if below is None:  # a village's tables have the village itself as their one row
        children = [(division, own)]
        level_label = DivisionLevel(division.level).label
    else:
        found = selectors.children_values(reader=reader, parent=division, year=year)
        kids = Division.objects.filter(parent=division).order_by("code")
        children = [(child, found.get(child.code, {})) for child in kids]
        level_label = below.label
    refreshed = selectors.last_refresh(year)
    source = _Source(reader, division, year, own, children)
    pack = Pack(division=division, year=year, refreshed_at=refreshed.finished_at if refreshed else None,
                child_level=str(level_label))
    for builder in BUILDERS:
        table = builder(source, str(level_label))
        if table is not None:
            pack.tables.append(table)
    return pack


def per_division(source: _Source, level_label: str, *, slug: str, sheet: str, title: str,
                 measures: Sequence[Measure], note: str = "") -> Table:
    columns = [Column(level_label, Format.TEXT), *(Column(m.header, m.format()) for m in measures)]
    rows: list[list[Cell]] = [[child.name, *(m.of(values) for m in measures)] for child, values in source.children]
    total: list[Cell] = [_("合计"), *(m.of(source.own) for m in measures)]
    return Table(slug=slug, sheet=sheet, title=title, columns=columns, rows=rows, total=total, note=note)


def keyed(source: _Source, *, slug: str, sheet: str, title: str, key_code: str, key_header: str,
          columns: Sequence[tuple[str, str]], note: str = "") -> Table:
    """One row per breakdown key of the division's figures; ``columns`` are (header, indicator code)."""
    codes = [code for _h, code in columns]
    present = {k for code in codes for k in _keys_in([source.own], code)}
    # Keys the catalogue declares are listed even at zero (a standard table keeps its rows); keys found only
    # in the data (a rule code the catalogue does not name) when they have a figure.
    keys = key_labels(CATALOGUE[key_code], present)
    formats = [Format.MONEY if CATALOGUE[code].kind == Kind.SUM else Format.COUNT for code in codes]
    rows: list[list[Cell]] = [
        [label, *(source.own.get((code, key), selectors.ZERO).value for code in codes)] for key, label in keys]
    total: list[Cell] = [_("合计"), *(selectors.total(source.own, code).value for code in codes)]
    return Table(slug=slug, sheet=sheet, title=title,
                 columns=[Column(key_header, Format.TEXT), *(Column(h, f) for (h, _c), f in
                                                             zip(columns, formats, strict=True))],
                 rows=rows, total=total, note=note)


def households(source: _Source, level: str) -> Table | None:
    if not _present("households"):
        return None
    return per_division(source, level, slug="households", sheet=_("户数"), title=_("建档立卡户数(按户状态)"),
                        measures=by_key("households", _keys_in(source.all_values(), "households"), total=_("合计")))


def people(source: _Source, level: str) -> Table | None:
    if not _present("people"):
        return None
    return per_division(source, level, slug="people", sheet=_("人数"), title=_("建档立卡人数(按所在户状态)"),
                        measures=by_key("people", _keys_in(source.all_values(), "people"), total=_("合计")))


def exits(source: _Source, level: str) -> Table | None:
    measures = [Measure(_("脱贫户数"), "exits")] if _present("exits") else []
    if _present("exit_people"):
        measures.append(Measure(_("脱贫人数"), "exit_people"))
    if not measures:
        return None
    return per_division(source, level, slug="exits", sheet=_("脱贫退出"),
                        title=_("%(year)s年度脱贫退出") % {"year": source.year}, measures=measures)


def criteria(source: _Source, level: str) -> Table | None:
    measures: list[Measure] = []
    if _present("criteria_pass"):
        measures += by_key("criteria_pass", _keys_in(source.all_values(), "criteria_pass"), share=True)
    if _present("weak_villages_met"):
        measures.append(Measure(_("薄弱村达标率"), "weak_villages_met", share=True))
    if not measures:
        return None
    return per_division(source, level, slug="criteria", sheet=_("认定标准"), title=_("脱贫认定标准达标率"),
                        measures=measures, note=_("以当年最新正式认定结果计;达标率 = 达标数 / 参评数"))


def income(source: _Source, level: str) -> Table | None:
    measures: list[Measure] = []
    if _present("income_bands"):
        measures += by_key("income_bands", _keys_in(source.all_values(), "income_bands"), total=_("合计"))
    if _present("income_below_line"):
        measures.append(Measure(_("低于收入标准占比"), "income_below_line", share=True))
    if not measures:
        return None
    return per_division(source, level, slug="income", sheet=_("收入分布"), title=_("人均可支配收入分布(户)"),
                        measures=measures, note=_("不含已销户;占比以已填报收入的户为分母"))


def weak_villages(source: _Source, level: str) -> Table | None:
    """One row per weak village of the division: its collective income and whether it meets the standard
    (the village-level figures); the total is the division's own figure."""
    if not _present("weak_village_income", "weak_villages_met"):
        return None
    codes = ["weak_village_income", "weak_villages_met"]
    found = selectors.level_values(reader=source.reader, parent=source.division, year=source.year,
                                   level=DivisionLevel.VILLAGE, codes=codes)
    # A weak village is one the standard was checked on: its share has a denominator.
    weak = sorted(code for code, values in found.items() if selectors.total(values, "weak_villages_met").denominator)
    names = dict(Division.objects.filter(code__in=[*weak, *{c[:9].ljust(12, "0") for c in weak}])
                 .values_list("code", "name"))
    rows: list[list[Cell]] = []
    for code in weak:
        values = found[code]
        met = selectors.total(values, "weak_villages_met")
        rows.append([names.get(code[:9].ljust(12, "0"), ""), names.get(code, code),
                     selectors.total(values, "weak_village_income").value, _("是") if met.value else _("否")])
    met = selectors.total(source.own, "weak_villages_met")
    total: list[Cell] = [
        _("合计"), _("%(n)s 个村") % {"n": num(met.denominator or 0)},
        selectors.total(source.own, "weak_village_income").value,
        _("达标 %(met)s 个(%(share)s)") % {"met": num(met.value), "share": display(met.share, Format.SHARE)}]
    columns = [Column(_("乡镇"), Format.TEXT), Column(_("村"), Format.TEXT),
               Column(_("村集体经济收入(元)"), Format.MONEY), Column(_("是否达到标准"), Format.TEXT)]
    return Table(slug="weak_villages", sheet=_("薄弱村"), title=_("薄弱村集体经济收入"), columns=columns,
                 rows=rows, total=total)


def findings(source: _Source, level: str) -> Table | None:
    if not _present("findings_by_state"):
        return None
    measures = by_key("findings_by_state", _keys_in(source.all_values(), "findings_by_state"), total=_("合计"))
    if _present("findings_overdue"):
        measures.append(Measure(_("逾期未整改"), "findings_overdue"))
    return per_division(source, level, slug="findings", sheet=_("比对整改"), title=_("数据比对发现及整改(按状态)"),
                        measures=measures)


def findings_rules(source: _Source, level: str) -> Table | None:
    if not _present("findings_by_rule"):
        return None
    return keyed(source, slug="findings_rules", sheet=_("比对规则"), title=_("数据比对发现(按规则)"),
                 key_code="findings_by_rule", key_header=_("比对规则"), columns=[(_("发现数"), "findings_by_rule")])


def warnings(source: _Source, level: str) -> Table | None:
    if not _present("warnings_by_state"):
        return None
    measures = by_key("warnings_by_state", _keys_in(source.all_values(), "warnings_by_state"), total=_("合计"))
    if _present("warnings_overdue"):
        measures.append(Measure(_("逾期"), "warnings_overdue"))
    if _present("warnings_escalated"):
        measures.append(Measure(_("已升级"), "warnings_escalated"))
    return per_division(source, level, slug="warnings", sheet=_("监测预警"), title=_("监测预警(按状态)"),
                        measures=measures)


def warning_codes(source: _Source, level: str) -> Table | None:
    if not _present("warnings_by_code"):
        return None
    return keyed(source, slug="warning_codes", sheet=_("预警类型"), title=_("监测预警(按预警类型)"),
                 key_code="warnings_by_code", key_header=_("预警类型"), columns=[(_("预警数"), "warnings_by_code")])


FUND_COLUMNS = (("funds_allocated", _lazy("下达(元)")), ("funds_issued", _lazy("拨付(元)")),
                ("funds_spent", _lazy("支出(元)")), ("funds_idle", _lazy("结余闲置(元)")))


def funds(source: _Source, level: str) -> Table | None:
    columns = [(str(label), code) for code, label in FUND_COLUMNS if code in CATALOGUE]
    if not columns:
        return None
    return keyed(source, slug="funds", sheet=_("资金"), title=_("财政专项扶贫资金(按资金来源)"),
                 key_code=columns[0][1], key_header=_("资金来源"), columns=columns)


def payments(source: _Source, level: str) -> Table | None:
    if not _present("payments"):
        return None
    note = ""
    if _present("payment_households"):
        note = _("受益户数:%(n)s 户") % {"n": num(selectors.total(source.own, "payment_households").value)}
    return keyed(source, slug="payments", sheet=_("到户补贴"), title=_("到户补贴兑现(按补贴项目)"),
                 key_code="payments", key_header=_("补贴项目"), columns=[(_("金额(元)"), "payments")], note=note)


BUILDERS = (households, people, exits, criteria, income, weak_villages, findings, findings_rules, warnings,
            warning_codes, funds, payments)


def as_text(cells: Sequence[Cell], columns: Sequence[Column]) -> list[str]:
    return [display(c, col.format) for c, col in zip(cells, columns, strict=True)]


def printable(table: Table) -> dict[str, Any]:
    """The table with its cells as text, for the templates (``numeric_at``: the right-aligned columns)."""
    return {"table": table, "numeric_at": {i for i, c in enumerate(table.columns) if c.format != Format.TEXT},
            "rows": [as_text(r, table.columns) for r in table.rows],
            "total": as_text(table.total, table.columns) if table.total else None}
