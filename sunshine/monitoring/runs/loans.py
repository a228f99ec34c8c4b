"""The overdue 扶贫小额信贷 loans a monitoring run reads (``loans_overdue``, sunshine.engine.monitoring.schema).

A loan is judged by the funds check's own L-OVERDUE statement (sunshine.engine.funds.rules.loans.overdue: the
outstanding principal at the date, the due date an extension (展期) moved, a renewal (续贷) repaying the old
loan on its loan date), so that monitoring and the funds check never disagree on a loan and there is one copy
of that SQL. Here the loans and repayments of the scope's households are read set-based (one query each) and
that statement's loans overdue by at least one day are kept; the engine applies loan_overdue_warning_days.

Loan numbers are unique within a county only, so the statement keys a loan by its primary key and the number is
put back afterwards."""
# ruff: noqa: S608 - SQL is generated from fixed names and a date; data never enters the text

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc
from django.db.models import Q

from sunshine.assessment.snapshot import _cents, fetch_arrow
from sunshine.engine.assessment.rules import with_clause
from sunshine.engine.backend import DuckDBBackend
from sunshine.engine.funds import tables as t
from sunshine.engine.funds.params import Params
from sunshine.engine.funds.rules.base import Context
from sunshine.engine.funds.rules.loans import overdue
from sunshine.engine.monitoring.schema import LOANS_OVERDUE
from sunshine.funds.models_credit import Loan, LoanRepayment
from sunshine.policy.parameters import StandardParameters

# The CTEs of L-OVERDUE that judge a loan (outstanding principal and days past due); the rest place the finding.
JUDGING_CTES = ("loan", "renewed", "repaid", "judged")


def _loans(prefix: str, on: dt.date) -> tuple[pa.Table, dict[str, tuple[int, str]]]:
    """The engine's ``loans`` (keyed by primary key) and key → (household key, loan number)."""
    # A renewal repays the loan it renews, so renewals of the scope's loans are read too.
    qs = (Loan.objects.filter(Q(household__village__code__startswith=prefix)
                              | Q(renewal_of__household__village__code__startswith=prefix), loan_date__lte=on)
          .order_by().annotate(_fen=_cents("amount"))
          .values_list("pk", "household_id", "loan_no", "loan_date", "due_date", "extended_due_date", "_fen",
                       "renewal_of_id"))
    read = fetch_arrow(qs, pa.schema([
        pa.field("pk", pa.int64()), pa.field("household", pa.int64()), pa.field("number", pa.string()),
        *[t.LOANS.field(n) for n in ("loan_date", "due_date", "extended_due_date", "amount")],
        pa.field("renewal", pa.int64())]))
    pks, households, numbers = (read.column(n).to_pylist() for n in ("pk", "household", "number"))
    keys = {str(pk): (household, number) for pk, household, number in zip(pks, households, numbers, strict=True)
            if household is not None}
    # Rate and guarantee do not bear on overdue days: left empty rather than read.
    keyed = {"loan_no": pc.cast(read.column("pk"), pa.string()),
             "renewal_of": pc.cast(read.column("renewal"), pa.string()),
             "annual_rate": pa.nulls(read.num_rows, t.LOANS.field("annual_rate").type),
             "guarantee": pa.nulls(read.num_rows, pa.string())}
    loans = pa.table({n: keyed[n] if n in keyed else read.column(n)
                      for n in ("loan_no", "loan_date", "due_date", "extended_due_date", "amount", "annual_rate",
                                "guarantee", "renewal_of")})
    return t.conform("loans", loans), keys


def _repayments(prefix: str, on: dt.date) -> pa.Table:
    qs = (LoanRepayment.objects.filter(Q(loan__household__village__code__startswith=prefix), date__lte=on)
          .order_by().annotate(_fen=_cents("principal")).values_list("loan_id", "date", "_fen"))
    table = fetch_arrow(qs, pa.schema([pa.field("loan", pa.int64()), t.LOAN_REPAYMENTS.field("date"),
                                       t.LOAN_REPAYMENTS.field("principal")]))
    return t.conform("loan_repayments", pa.table({"loan_no": pc.cast(table.column("loan"), pa.string()),
                                                  "date": table.column("date"),
                                                  "principal": table.column("principal")}))


def loans_overdue(prefix: str, on: dt.date, params: StandardParameters) -> pa.Table:
    """LOANS_OVERDUE: the loans of households under ``prefix`` overdue (by one day or more) on ``on``."""
    loans, keys = _loans(prefix, on)
    if not keys:
        return LOANS_OVERDUE.empty_table()
    ctx = Context(year=on.year, check_date=on, params=Params.from_mapping(params.to_dict()))
    ctes = [cte for cte in overdue(ctx) if cte[0] in JUDGING_CTES]
    sql = (f"{with_clause(ctes)}\nSELECT loan_no, days, outstanding FROM judged "
           "WHERE outstanding > 0 AND days > 0 ORDER BY loan_no")
    with DuckDBBackend(threads=1) as backend:
        backend.register_all({"loans": loans, "loan_repayments": _repayments(prefix, on)})
        judged = backend.query(sql).to_pylist()
    rows = [{"household_key": keys[r["loan_no"]][0], "loan_no": keys[r["loan_no"]][1], "days": r["days"],
             "outstanding": Decimal(int(r["outstanding"])).scaleb(-2)}
            for r in judged if r["loan_no"] in keys]
    return pa.Table.from_pylist(rows, schema=LOANS_OVERDUE)
