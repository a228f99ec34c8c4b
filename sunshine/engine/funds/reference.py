"""Straightforward Python readings of funds.md §5–6, one loan (asset) at a time and, for the subsidy, one day at a
time — the yardstick the set-based SQL of sunshine.engine.funds.credit is tested and benchmarked against. Slow
by design: never used for real runs.

Rows are plain dicts with the columns of sunshine.engine.funds.tables (money as Decimal, dates as dates)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sunshine.engine import vocabulary as v
from sunshine.engine.funds.tables import OPERATING, PER_PERSON

Row = Mapping[str, Any]
FEN = Decimal("0.01")


def subsidy(loans: Iterable[Row], repayments: Iterable[Row], year: int,
            only: Collection[str] | None = None) -> dict[str, Decimal]:
    """loan_no → 贴息 of ``year`` for every loan outstanding on some day of it (``only``: just these loans;
    renewals are still looked up among all ``loans``)."""
    loans = list(loans)
    renewed: dict[str, dt.date] = {}
    for loan in loans:
        old = loan.get("renewal_of")
        if old and loan.get("loan_date") and (old not in renewed or loan["loan_date"] < renewed[old]):
            renewed[old] = loan["loan_date"]
    paid: dict[str, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for r in repayments:
        known = r.get("date") is not None and r.get("principal") is not None
        if known and (only is None or r["loan_no"] in only):
            paid[r["loan_no"]].append((r["date"], r["principal"]))
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    out: dict[str, Decimal] = {}
    for loan in loans:
        no = loan["loan_no"]
        if only is not None and no not in only:
            continue
        start, amount, rate = loan.get("loan_date"), loan.get("amount"), loan.get("annual_rate")
        if start is None or amount is None or rate is None or start > last:
            continue
        events = sorted(paid.get(no, []))
        # The day the loan is fully repaid: its repayments reach the amount, or a renewal takes it over.
        repaid_on, total = None, Decimal(0)
        for day in sorted({d for d, _ in events} | {start}):
            total += sum((p for d, p in events if d == day), Decimal(0))
            if total >= amount:
                repaid_on = day
                break
        ends = [d for d in (repaid_on, renewed.get(no)) if d is not None]
        end = min(ends) if ends else None
        if end is not None and end <= max(start, first):
            continue
        due = loan.get("extended_due_date") or loan.get("due_date")
        acc = Fraction(0)
        day = max(start, first)
        while day <= last and (end is None or day < end):
            if due is None or day <= due:
                outstanding = amount - sum((p for d, p in events if d <= day), Decimal(0))
                acc += Fraction(outstanding) * Fraction(rate) / 360
            day += dt.timedelta(days=1)
        out[no] = _half_up(acc)
    return out


def _half_up(value: Fraction) -> Decimal:
    """A non-negative Fraction of yuan rounded half-up to the fen, exactly."""
    fen = value * 100
    whole = (fen.numerator * 2 + fen.denominator) // (2 * fen.denominator)
    return (Decimal(whole) / 100).quantize(FEN)


def dividends(assets: Iterable[Row], income: Iterable[Row], households: Iterable[Row], year: int, *,
              keep_years: int = 2, members: Iterable[Row] = ()) -> list[tuple[str, str | None, str, Decimal]]:
    """(asset_no, household_no or None for a village, division_code, amount) of ``year``, amounts > 0, in the
    order of credit.dividends_sql."""
    incomes: dict[str, Decimal] = defaultdict(Decimal)
    for row in income:
        if row["year"] == year and row.get("income") is not None:
            incomes[row["asset_no"]] += row["income"]
    counted: dict[str, int] = defaultdict(int)
    for m in members:
        if m["year"] == year and m.get("member_status") == v.MEMBER_ACTIVE:
            counted[m["household_no"]] += 1
    eligible: dict[str, tuple[str, int]] = {}
    by_village: dict[str, list[str]] = defaultdict(list)
    for h in households:
        if h["year"] != year or not h.get("village_code") or h["household_no"] in eligible:   # one row a year
            continue
        status, exit_year = h.get("status"), h.get("exit_year")
        if status in (v.IN_POVERTY, v.RETURNED) or (status == v.EXITED and exit_year is not None
                                                    and exit_year >= year - keep_years):
            persons = h.get("active_members")
            eligible[h["household_no"]] = (h["village_code"],
                                           persons if persons is not None else counted.get(h["household_no"], 0))
            by_village[h["village_code"]].append(h["household_no"])
    out: list[tuple[str, str | None, str, Decimal]] = []
    for asset in assets:
        ratio = asset.get("household_ratio")
        fen = int(incomes.get(asset["asset_no"], Decimal(0)) * 100)
        if asset.get("status") != OPERATING or ratio is None or not 0 <= ratio <= 1 or fen <= 0:
            continue
        household_pool = int(Fraction(fen) * Fraction(ratio))     # floor: both are non-negative
        village_pool = fen - household_pool
        listed = asset.get("villages") or ""
        villages = sorted({c.strip() for c in (listed if listed.strip() else asset.get("division_code") or "")
                           .split(";") if c.strip()})
        for i, village in enumerate(villages):
            share = village_pool // len(villages) + (1 if i < village_pool % len(villages) else 0)
            out.append((asset["asset_no"], None, village, Decimal(share) / 100))
        weights = {no: (eligible[no][1] if asset.get("method") == PER_PERSON else 1)
                   for village in villages for no in by_village.get(village, ())}
        weights = {no: w for no, w in weights.items() if w > 0}
        total = sum(weights.values())
        if total:
            base = {no: household_pool * w // total for no, w in weights.items()}
            leftover = household_pool - sum(base.values())
            order = sorted(weights, key=lambda no: (-(household_pool * weights[no] - base[no] * total), no))
            for no in order[:leftover]:
                base[no] += 1
            out.extend((asset["asset_no"], no, eligible[no][0], Decimal(fen_) / 100) for no, fen_ in base.items())
    rows = [(a, h, d, amount.quantize(FEN)) for a, h, d, amount in out if amount > 0]
    return sorted(rows, key=lambda r: (r[0], r[2], r[1] is not None, r[1] or ""))
