"""`sunshine indicators refresh --year Y [--codes a,b]` and `sunshine indicators list`.

The refresh recomputes the pre-aggregated values on demand (after a restore, a bulk load, or to check a
figure); the list prints the catalogue: code, section, kind, unit, target, sources and name.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sunshine.dashboard.choices import Section
from sunshine.dashboard.indicators import CATALOGUE, Indicator
from sunshine.dashboard.refresh import refresh


def _codes(text: str | None) -> list[str] | None:
    if not text:
        return None
    codes = [c.strip() for c in text.split(",") if c.strip()]
    unknown = [c for c in codes if c not in CATALOGUE]
    if unknown:
        raise CommandError(f"未知的指标代码: {', '.join(unknown)}(可用 `sunshine indicators list` 查看)")
    return codes


def _years(values: list[int] | None) -> list[int]:
    years = sorted(set(values or [settings.SUNSHINE_DEFAULT_YEAR]))
    for year in years:
        if not 2000 <= year <= 2100:
            raise CommandError(f"年度应在 2000–2100 之间: {year}")
    return years


def _target(indicator: Indicator) -> str:
    target = indicator.target
    if target is None:
        return ""
    if target.value is not None:
        return str(target.value)
    return f"@{target.parameter}" if target.parameter else ""


class Command(BaseCommand):
    help = ("统计指标:重新计算预汇总的指标值,或列出指标目录。Refresh the pre-aggregated indicator values of a "
            "year (all indicators or --codes), or list the indicator catalogue.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        do = sub.add_parser("refresh", help="重新计算一个或几个年度的指标值")
        do.add_argument("--year", type=int, action="append",
                        help="年度,可重复;默认 SUNSHINE_DEFAULT_YEAR")
        do.add_argument("--codes", help="只计算这些指标,逗号分隔,如 households,people")
        do.add_argument("--sources", help="只计算由这些应用的数据得出的指标,逗号分隔,如 registry,funds")
        sub.add_parser("list", help="列出指标目录")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            self._list()
        else:
            self._refresh(options)

    def _list(self) -> None:
        self.stdout.write("代码 code\t板块 section\t类型 kind\t单位 unit\t目标 target\t来源 sources\t名称 name")
        for indicator in CATALOGUE.values():
            self.stdout.write("\t".join([
                indicator.code, str(Section(indicator.section).label), indicator.kind.value, str(indicator.unit),
                _target(indicator), ",".join(sorted(indicator.sources)), str(indicator.name),
            ]))
        self.stdout.write(f"共 {len(CATALOGUE)} 个指标 indicators")

    def _refresh(self, options: dict[str, Any]) -> None:
        codes = _codes(options["codes"])
        sources = [s.strip() for s in options["sources"].split(",") if s.strip()] if options["sources"] else None
        verbose = options["verbosity"] >= 2
        for year in _years(options["year"]):
            outcome = refresh(year=year, codes=codes, sources=sources, trigger="command")
            if verbose:
                for code, seconds in sorted(outcome.per_indicator.items(), key=lambda item: -item[1]):
                    self.stdout.write(f"  {code:<28} {seconds:8.3f} s")
            self.stdout.write(self.style.SUCCESS(
                f"{year}年度:{len(outcome.codes)} 个指标,写入 {outcome.rows} 行,用时 {outcome.seconds:.2f} 秒"
                f" ({year}: {len(outcome.codes)} indicators, {outcome.rows} rows, {outcome.seconds:.2f} s)"))
