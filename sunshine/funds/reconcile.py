"""The reconciliation of the funds trail (issue 13): at every level the sums add up.

- fund:    issued = allocated + idle            (idle: issued but not yet allocated to a project; F-DELAY)
- project: allocated = spent + unspent          (spent: expenditures + payments naming the project; F-IDLE)
- fund → its projects: the fund's allocated = its share of their spending + its share of their unspent.

A project funded by several funds spends them in proportion to what each allocated to it (the files do not say
which fund paid which bill); spending beyond the project's allocations is no fund's (it shows as a negative
unspent on the project, F-OVERSPEND judges the budget). All sums are set-based: one aggregate query per kind of
row for a whole page of funds, never a query per project."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils.translation import gettext as _

from sunshine.funds.models import Allocation, Expenditure, Fund, Payment, Project

ZERO = Decimal("0.00")
FEN = Decimal("0.01")


@dataclass
class ProjectSums:
    """One project's money: what all funds allocated to it, and what it spent."""

    allocated: Decimal = ZERO
    expenditures: Decimal = ZERO
    payments: Decimal = ZERO

    @property
    def spent(self) -> Decimal:
        return self.expenditures + self.payments

    @property
    def unspent(self) -> Decimal:
        return self.allocated - self.spent

    def share_spent(self, part: Decimal) -> Decimal:
        """The spending of ``part`` of the project's allocations (pro rata; never more than ``part``)."""
        if self.allocated <= 0 or part <= 0:
            return ZERO
        used = min(max(self.spent, ZERO), self.allocated)
        return (used * part / self.allocated).quantize(FEN, rounding=ROUND_HALF_UP)


@dataclass
class FundSums:
    issued: Decimal = ZERO
    allocated: Decimal = ZERO
    spent: Decimal = ZERO   # the fund's share of its projects' spending

    @property
    def idle(self) -> Decimal:
        return self.issued - self.allocated

    @property
    def unspent(self) -> Decimal:
        return self.allocated - self.spent

    @property
    def reconciles(self) -> bool:
        return self.issued == self.allocated + self.idle and self.allocated == self.spent + self.unspent


def _sum_by(rows: Iterable[tuple[int, Decimal | None]]) -> dict[int, Decimal]:
    return {key: value or ZERO for key, value in rows}


def project_sums(project_ids: Iterable[int] | QuerySet[Any]) -> dict[int, ProjectSums]:
    """Each project's sums; ``project_ids`` may be a subquery (values of project ids), so that a province's list
    does not send tens of thousands of ids as query parameters."""
    ids: Any = project_ids if isinstance(project_ids, QuerySet) else list(set(project_ids))
    if not isinstance(ids, QuerySet) and not ids:
        return {}
    allocated = _sum_by(Allocation.objects.filter(project_id__in=ids).values_list("project_id")
                        .annotate(s=Sum("amount")).order_by())
    spent = _sum_by(Expenditure.objects.filter(project_id__in=ids).values_list("project_id")
                    .annotate(s=Sum("amount")).order_by())
    paid = _sum_by(Payment.objects.filter(project_id__in=ids).values_list("project_id")
                   .annotate(s=Sum("amount")).order_by())
    keys = set(allocated) | set(spent) | set(paid) if isinstance(ids, QuerySet) else ids
    return {pk: ProjectSums(allocated=allocated.get(pk, ZERO), expenditures=spent.get(pk, ZERO),
                            payments=paid.get(pk, ZERO)) for pk in keys}


def fund_allocations(fund_ids: Iterable[int] | QuerySet[Any]) -> dict[int, dict[int, Decimal]]:
    """fund id → project id → what the fund allocated to the project."""
    out: dict[int, dict[int, Decimal]] = defaultdict(dict)
    ids = fund_ids if isinstance(fund_ids, QuerySet) else list(fund_ids)
    rows = (Allocation.objects.filter(fund_id__in=ids).values_list("fund_id", "project_id")
            .annotate(s=Sum("amount")).order_by())
    for fund_id, project_id, amount in rows:
        out[fund_id][project_id] = amount or ZERO
    return out


def fund_sums(funds: Iterable[Fund] | QuerySet[Fund]) -> dict[int, FundSums]:
    """The reconciliation of each fund, in four aggregate queries whatever the number of funds (a queryset is
    used as a subquery)."""
    if isinstance(funds, QuerySet):
        ids: Any = funds.order_by().values("pk")
        by_fund = fund_allocations(ids)
        projects = project_sums(Allocation.objects.filter(fund_id__in=ids).values("project_id"))
        funds = list(funds)
    else:
        funds = list(funds)
        by_fund = fund_allocations(f.pk for f in funds)
        projects = project_sums(pid for parts in by_fund.values() for pid in parts)
    out = {}
    for fund in funds:
        parts = by_fund.get(fund.pk, {})
        out[fund.pk] = FundSums(
            issued=fund.amount, allocated=sum(parts.values(), ZERO),
            spent=sum((projects[pid].share_spent(amount) for pid, amount in parts.items()), ZERO))
    return out


def totals(sums: Iterable[FundSums]) -> FundSums:
    total = FundSums()
    for s in sums:
        total.issued += s.issued
        total.allocated += s.allocated
        total.spent += s.spent
    return total


@dataclass
class SourceTotal:
    source: str
    label: str
    funds: int
    sums: FundSums


def totals_by_source(funds: Iterable[Fund], sums: dict[int, FundSums]) -> list[SourceTotal]:
    groups: dict[str, list[Fund]] = defaultdict(list)
    for fund in funds:
        groups[fund.source].append(fund)
    out = []
    for source, members in sorted(groups.items()):
        out.append(SourceTotal(source=source, label=members[0].get_source_display(), funds=len(members),
                               sums=totals(sums[f.pk] for f in members)))
    return out


@dataclass
class TrailProject:
    """One project a fund reached: this fund's part and the project's whole."""

    project: Project
    from_fund: Decimal
    sums: ProjectSums
    allocations: list[Allocation] = field(default_factory=list)

    @property
    def fund_spent(self) -> Decimal:
        return self.sums.share_spent(self.from_fund)

    @property
    def fund_unspent(self) -> Decimal:
        return self.from_fund - self.fund_spent


@dataclass
class Trail:
    fund: Fund
    sums: FundSums
    projects: list[TrailProject]
    direct_payments: Decimal  # payments naming the fund but no project (shown, not part of the sums)


def fund_trail(fund: Fund) -> Trail:
    """The fund, its allocations by project, and each project's reconciliation."""
    allocations = list(Allocation.objects.filter(fund=fund).select_related("project", "project__division")
                       .order_by("project__project_no", "date", "pk"))
    by_project: dict[int, list[Allocation]] = defaultdict(list)
    for a in allocations:
        by_project[a.project_id].append(a)
    sums = project_sums(by_project)
    lines = [TrailProject(project=items[0].project, from_fund=sum((a.amount for a in items), ZERO),
                          sums=sums[pid], allocations=items) for pid, items in by_project.items()]
    lines.sort(key=lambda line: line.project.project_no)
    fund_total = FundSums(issued=fund.amount, allocated=sum((line.from_fund for line in lines), ZERO),
                          spent=sum((line.fund_spent for line in lines), ZERO))
    direct = (Payment.objects.filter(fund=fund, project__isnull=True).aggregate(s=Sum("amount"))["s"] or ZERO)
    return Trail(fund=fund, sums=fund_total, projects=lines, direct_payments=direct)


# --- the chart (server-rendered SVG: no script, no style attribute; CSP allows neither) ------------------------

BAR_WIDTH = 480
BAR_HEIGHT = 18
BAR_GAP = 8
LABEL_WIDTH = 150
COLOURS = {"issued": "#5b7db1", "allocated": "#4f9a6b", "spent": "#d08a2e", "idle": "#c0504d",
           "unspent": "#9aa5b1"}


@dataclass
class Bar:
    label: str
    amount: Decimal
    kind: str
    y: int
    width: int

    @property
    def colour(self) -> str:
        return COLOURS.get(self.kind, "#888888")

    @property
    def text_y(self) -> int:
        return self.y + BAR_HEIGHT - 4


@dataclass
class Chart:
    bars: list[Bar]
    height: int
    width: int = LABEL_WIDTH + BAR_WIDTH + 130
    label_width: int = LABEL_WIDTH
    bar_height: int = BAR_HEIGHT

    @property
    def value_x(self) -> int:
        return self.label_width + 6


def bar_chart(rows: list[tuple[str, Decimal, str]]) -> Chart:
    """Horizontal bars (label, amount, kind) scaled to the largest amount; negative amounts draw no bar."""
    top = max((amount for _, amount, _ in rows), default=ZERO)
    bars = []
    for i, (label, amount, kind) in enumerate(rows):
        width = int(BAR_WIDTH * amount / top) if top > 0 and amount > 0 else 0
        bars.append(Bar(label=label, amount=amount, kind=kind, y=i * (BAR_HEIGHT + BAR_GAP), width=width))
    return Chart(bars=bars, height=max(len(rows) * (BAR_HEIGHT + BAR_GAP), BAR_HEIGHT))


def fund_chart(sums: FundSums) -> Chart:
    return bar_chart([(_("下达"), sums.issued, "issued"), (_("已拨付"), sums.allocated, "allocated"),
                      (_("未拨付"), sums.idle, "idle"), (_("已支出"), sums.spent, "spent"),
                      (_("已拨未支"), sums.unspent, "unspent")])


def projects_chart(lines: list[TrailProject]) -> Chart:
    """Per project: what this fund allocated to it and the part of that already spent."""
    rows: list[tuple[str, Decimal, str]] = []
    for line in lines:
        rows.append((f"{line.project.project_no} {_('拨付')}", line.from_fund, "allocated"))
        rows.append((f"{line.project.project_no} {_('支出')}", line.fund_spent, "spent"))
    return bar_chart(rows)
