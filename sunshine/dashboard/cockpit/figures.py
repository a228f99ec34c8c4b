"""One indicator's figure for one division, measured against its target and formatted for the page.

A count or a sum is compared by its value, a share by value / denominator. The target is a fixed number or a
parameter of the year's policy standard for the division (a county override wins over the province's), so a
county that raised its line is measured against its own line.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from sunshine.core.templatetags.sunshine_tags import money, num, pct
from sunshine.dashboard.indicators import Direction, Indicator, Kind
from sunshine.dashboard.selectors import ZERO, Figure, Values, total
from sunshine.policy.parameters import StandardParameters


def target_of(indicator: Indicator, parameters: StandardParameters | None) -> Decimal | None:
    """The number the indicator is measured against (a share as 0–1), or None when it has none."""
    target = indicator.target
    if target is None:
        return None
    if target.value is not None:
        return Decimal(target.value)
    if target.parameter and parameters is not None:
        value = getattr(parameters, target.parameter, None)
        return None if value is None else Decimal(value)
    return None


def number_of(indicator: Indicator, figure: Figure) -> Decimal | None:
    """What is shown and compared: the share for a share (None without a denominator), else the value."""
    if indicator.kind == Kind.SHARE:
        return figure.share
    return figure.value


def formatted(indicator: Indicator, number: Decimal | None) -> str:
    if number is None:
        return "—"
    if indicator.kind == Kind.SHARE:
        return pct(number)
    if indicator.kind == Kind.SUM:
        return money(number)
    return num(number)


def judged(indicator: Indicator) -> bool:
    """Whether a division's figure can be held against the target. A share can; so can a count or sum against
    a fixed number (no overdue finding: 0). A count or sum against a policy parameter cannot: the parameter
    is a line for each unit (18万 for each weak village, the target's note says so), and a total of many units,
    or a village that is not such a unit, says nothing about it. The target is still shown, with its note."""
    target = indicator.target
    return target is not None and (indicator.kind == Kind.SHARE or target.parameter is None)


def met(indicator: Indicator, number: Decimal | None, target: Decimal | None) -> bool | None:
    """Whether the figure meets its target: at least it (more is better), at most it (less is better)."""
    if number is None or target is None or not judged(indicator):
        return None
    if indicator.direction == Direction.DOWN:
        return number <= target
    return number >= target


@dataclass(frozen=True)
class Shown:
    """An indicator's figure for one division and year, with its target and whether it is met."""

    indicator: Indicator
    figure: Figure
    target: Decimal | None = None

    @property
    def code(self) -> str:
        return self.indicator.code

    @cached_property
    def number(self) -> Decimal | None:
        return number_of(self.indicator, self.figure)

    @cached_property
    def text(self) -> str:
        return formatted(self.indicator, self.number)

    @property
    def plain(self) -> float | None:
        """The number for a chart (a share in percent, so the axis reads like the table)."""
        number = self.number
        if number is None:
            return None
        return round(float(number) * 100, 2) if self.indicator.kind == Kind.SHARE else float(number)

    @cached_property
    def detail(self) -> str:
        """For a share, the counts behind it ("97 / 100"), so a rate is never read without its base."""
        if self.indicator.kind != Kind.SHARE or self.figure.denominator is None:
            return ""
        return f"{num(self.figure.value)} / {num(self.figure.denominator)}"

    @cached_property
    def target_text(self) -> str:
        if self.target is None:
            return ""
        sign = "≤" if self.indicator.direction == Direction.DOWN else "≥"
        note = self.indicator.target.note if self.indicator.target else ""
        return f"{note} {sign} {formatted(self.indicator, self.target)}".strip()

    @cached_property
    def met(self) -> bool | None:
        return met(self.indicator, self.number, self.target)

    @cached_property
    def mark(self) -> str:
        """The met / not-met word beside the mark (the ✓/✗ alone would not be read out)."""
        return {True: _("达标"), False: _("未达标")}.get(self.met, "")

    # The cells below are written in Python, not by template tags: a provincial cockpit has several hundred of
    # them, and rendering each through a dozen template nodes was most of the page's time (as with the region
    # picker, sunshine.core.fields.PickerSelect).

    @cached_property
    def mark_html(self) -> SafeString:
        if self.met is None:
            return mark_safe("")
        return format_html('<span class="mark {}">{} {}</span>', "met" if self.met else "unmet",
                           "✓" if self.met else "✗", self.mark)

    @cached_property
    def row_cells(self) -> SafeString:
        """A section table's value, target and met cells."""
        detail = format_html(' <small class="muted">{}</small>', self.detail) if self.detail else ""
        return format_html('<td class="num">{}{}</td><td class="num">{}</td><td>{}</td>', self.text, detail,
                           self.target_text, self.mark_html)

    @cached_property
    def rank_cell(self) -> SafeString:
        """A ranking table's cell: the figure, its base as a tooltip, a ✗ when it misses its target."""
        title = format_html(' title="{}"', self.detail) if self.detail else ""
        if self.met is False:
            return format_html('<td class="num unmet"{}>{}<span class="mark unmet" title="{}"> ✗</span></td>',
                               title, self.text, self.mark)
        return format_html('<td class="num"{}>{}</td>', title, self.text)


def shown(indicator: Indicator, values: Values, parameters: StandardParameters | None,
          keys: list[str] | None = None) -> Shown:
    """The indicator's figure over all its keys (or ``keys``), against its target."""
    figure = total(values, indicator.code, keys) if values else ZERO
    return Shown(indicator, figure, target_of(indicator, parameters))


def key_figure(indicator: Indicator, values: Values, key: str, parameters: StandardParameters | None) -> Shown:
    """One breakdown key's figure. A share's target holds for each key too (every §1 criterion at 100%);
    a count's does not (a target on all households says nothing of one status)."""
    target = target_of(indicator, parameters) if indicator.kind == Kind.SHARE else None
    return Shown(indicator, values.get((indicator.code, key), ZERO), target)
