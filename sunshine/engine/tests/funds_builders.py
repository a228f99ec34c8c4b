"""Funds test data: registry facts, funds, projects, payments and the rest as plain dicts, Arrow tables to the
engine.

A ``FundsScenario`` collects rows per table (sunshine.engine.funds.tables); ``person`` adds a registry member
(an active member of a registered household of its own unless told otherwise) with a made-up id_hash — the
engine only ever sees hashes. Each case of the tests adds its own records under its own numbers, so that each
flags only what it is built to flag."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa

from sunshine.engine.funds.run import run_funds
from sunshine.engine.funds.tables import TABLES

YEAR = 2020
T = dt.date(YEAR, 12, 31)
COUNTY = "320321000000"
VILLAGE = "320321101001"
OTHER_VILLAGE = "320321102001"


def money(value: str | int) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def fake_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class FundsScenario:
    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._people = 0
        self._households = 0

    def add(self, table: str, **fields: Any) -> dict[str, Any]:
        self.rows[table].append(fields)
        return fields

    def household(self) -> str:
        self._households += 1
        return f"H{self._households:04d}"

    def person(self, name: str, *, household: str | None = None, village: str = VILLAGE,
               status: str | None = "in_poverty", member_status: str = "active", change_date: dt.date | None = None,
               year: int = YEAR) -> dict[str, Any]:
        """A registry member of ``year``; returns the member row (its ``id_hash`` names the person)."""
        self._people += 1
        return self.add("members", id_hash=fake_hash(f"person-{self._people}"), name=name,
                        household_no=household or self.household(), village_code=village, year=year,
                        household_status=status, member_status=member_status, change_date=change_date)

    def outsider(self, name: str) -> dict[str, Any]:
        """Someone outside the registry (an id_hash no member row has)."""
        self._people += 1
        return {"id_hash": fake_hash(f"person-{self._people}"), "name": name, "household_no": None}

    def pay(self, payment_no: str, who: Mapping[str, Any], item: str, amount: str | int, *,
            period: str = str(YEAR), paid: dt.date = dt.date(YEAR, 6, 1), **extra: Any) -> dict[str, Any]:
        return self.add("payments", payment_no=payment_no, id_hash=who["id_hash"], name=who["name"],
                        household_no=extra.pop("household_no", None), item=item, period=period,
                        amount=money(amount), paid_date=paid, **extra)

    # --- micro-credit and asset income (funds.md §1, §5–6) ----------------------------------------------------

    def loan(self, loan_no: str, who: Mapping[str, Any] | None, amount: str | int, start: dt.date, due: dt.date, *,
             rate: str = "0.05", extended: dt.date | None = None, renewal_of: str | None = None,
             guarantee: str = "none", bank: str = "农商银行") -> dict[str, Any]:
        """A loan to ``who`` (a member row or an outsider; None: nobody known); 5 % a year, so 36000.00 元 earns
        exactly 5.00 元 of subsidy a day."""
        who = who or {}
        return self.add("loans", loan_no=loan_no, household_no=who.get("household_no"), id_hash=who.get("id_hash"),
                        name=who.get("name"), bank=bank, loan_date=start, due_date=due, extended_due_date=extended,
                        amount=money(amount), annual_rate=Decimal(rate), guarantee=guarantee, purpose="养殖",
                        renewal_of=renewal_of)

    def repay(self, loan_no: str, day: dt.date, principal: str | int, interest: str | int = 0) -> dict[str, Any]:
        return self.add("loan_repayments", loan_no=loan_no, date=day, principal=money(principal),
                        interest=money(interest))

    def household_year(self, household_no: str, *, village: str = VILLAGE, status: str = "in_poverty",
                       exit_year: int | None = None, members: int | None = 1, year: int = YEAR) -> dict[str, Any]:
        return self.add("household_years", household_no=household_no, year=year, village_code=village,
                        status=status, exit_year=exit_year, active_members=members)

    def asset(self, asset_no: str, *, villages: str | None, ratio: str, method: str = "per_household",
              status: str = "operating", division: str = VILLAGE, income: str | int | None = None,
              year: int = YEAR) -> dict[str, Any]:
        row = self.add("assets", asset_no=asset_no, name=f"{asset_no}光伏电站", project_no=None, kind="solar",
                       division_code=division, value=money(1000000), formed_date=dt.date(2018, 6, 1),
                       operator="某合作社", method=method, household_ratio=Decimal(ratio), villages=villages,
                       status=status)
        if income is not None:
            self.add("asset_income", asset_no=asset_no, year=year, income=money(income))
        return row

    def tables(self) -> dict[str, pa.Table]:
        return {name: pa.Table.from_pylist(self.rows.get(name, []), schema=schema)
                for name, schema in TABLES.items()}


def run(backend: Any, scenario: FundsScenario, *, rules: Sequence[str] | None = None, check_date: dt.date = T,
        division_prefix: str | None = None, params: Mapping[str, Any] | None = None,
        on_rule: Callable[[str, int, float], None] | None = None) -> pa.Table:
    from sunshine.engine.funds.run import prepare

    backend.register_all(prepare(scenario.tables()))
    return run_funds(backend, year=YEAR, check_date=check_date, params=params, rules=rules,
                     division_prefix=division_prefix, on_rule=on_rule)


def by_rule(findings: pa.Table) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in findings.to_pylist():
        grouped[row["rule"]].append(row)
    return grouped


def keys(findings: Sequence[Mapping[str, Any]]) -> set[str]:
    return {f["key"] for f in findings}
