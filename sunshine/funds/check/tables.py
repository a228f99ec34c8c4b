"""The input tables of a funds check, read from the database as Arrow (sunshine.engine.funds.tables).

Payees, cadres, members and deaths are named by their keyed hash only (the column the database keeps for exact
lookup), so no ID number is decrypted and none reaches the engine or the snapshot files. Keys the engine
joins on (project_no, fund_no, payment_no) are the files' keys; they are unique within a county, so a run over
several counties whose numbers collide is run county by county (``colliding_keys``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.db.models import BigIntegerField, Count, F, Q
from django.db.models.functions import Cast, Round

from sunshine.assessment.snapshot import _cents, fetch_arrow
from sunshine.comparison.models import DatasetLoad
from sunshine.comparison.runs.snapshot import data_path
from sunshine.engine.comparison.idhash import hash_ids
from sunshine.engine.funds import tables as t
from sunshine.funds.models import (
    Allocation,
    Announcement,
    Expenditure,
    Fund,
    Payment,
    Project,
    ProjectBeneficiary,
    VillageCadre,
)
from sunshine.funds.models_credit import Asset, AssetIncome, Loan, LoanRepayment
from sunshine.registry.choices import MemberStatus
from sunshine.registry.models import HouseholdYear, MemberYear


def _schema(schema: pa.Schema, names: list[str]) -> pa.Schema:
    return pa.schema([schema.field(n) for n in names])


COUNTY_DIGITS = 6
MICRO = 1_000_000   # a rate or ratio is read as whole millionths (DECIMAL(9, 6) / (7, 6): exact)


def _table(name: str, qs: Any, paths: dict[str, str]) -> pa.Table:
    """The queryset's values at ``paths`` (engine column → ORM path) as the engine's table ``name``; money is
    read as whole fen, rates and ratios as whole millionths (exact on both databases)."""
    names = list(paths)
    schema = _schema(_loose(t.TABLES[name]), names)
    selected, fetched, micro = [], [], []
    for column in names:
        kind = schema.field(column).type
        if kind == t.MONEY:
            alias = f"_fen_{column}"
            qs = qs.annotate(**{alias: _cents(paths[column])})
            selected.append(alias)
        elif kind in (t.RATE, t.RATIO):
            alias = f"_micro_{column}"
            qs = qs.annotate(**{alias: Cast(Round(F(paths[column]) * MICRO), BigIntegerField())})
            selected.append(alias)
            kind = pa.int64()
            micro.append(column)
        else:
            selected.append(paths[column])
        fetched.append(pa.field(column, kind))
    table = fetch_arrow(qs.order_by().values_list(*selected), pa.schema(fetched))
    for column in micro:
        target = schema.field(column).type
        values = [None if v is None else (Decimal(v) / MICRO).quantize(Decimal(1).scaleb(-target.scale))
                  for v in table.column(column).to_pylist()]
        table = table.set_column(table.schema.get_field_index(column), column, pa.array(values, target))
    return t.conform(name, table)


def _loose(schema: pa.Schema) -> pa.Schema:
    """The schema with every field nullable (the ORM gives '' or None where the engine wants NULL)."""
    return pa.schema([f.with_nullable(True) for f in schema])


def projects(prefix: str) -> pa.Table:
    qs = Project.objects.filter(division__code__startswith=prefix)
    table = _table("projects", qs, {
        "project_no": "project_no", "name": "name", "division_code": "division_id", "category": "category",
        "year": "year", "budget": "budget", "content": "content", "performance_target": "performance_target",
        "planned_households": "planned_households", "planned_registered_households": "planned_registered_households",
        "status": "status", "planned_start": "planned_start", "planned_end": "planned_end",
        "actual_end": "actual_end", "implementer": "implementer", "accepted_date": "accepted_date"})
    return table


def beneficiaries(prefix: str) -> pa.Table:
    qs = ProjectBeneficiary.objects.filter(project__division__code__startswith=prefix)
    return _table("project_beneficiaries", qs, {"project_no": "project__project_no",
                                                "household_no": "household__household_no"})


def funds(prefix: str) -> pa.Table:
    qs = Fund.objects.filter(county__code__startswith=prefix[:6]) if len(prefix) >= 6 else \
        Fund.objects.filter(county__code__startswith=prefix)
    table = _table("funds", qs, {"fund_no": "fund_no", "document_no": "document_no", "source": "source",
                                 "year": "year", "division_code": "county_id", "issued_date": "issued_date",
                                 "amount": "amount"})
    return table


def allocations(prefix: str) -> pa.Table:
    qs = Allocation.objects.filter(project__division__code__startswith=prefix)
    return _table("allocations", qs, {"fund_no": "fund__fund_no", "project_no": "project__project_no",
                                      "date": "date", "amount": "amount"})


def expenditures(prefix: str) -> pa.Table:
    qs = Expenditure.objects.filter(project__division__code__startswith=prefix)
    table = _table("expenditures", qs, {"project_no": "project__project_no", "date": "date", "amount": "amount",
                                        "payee": "payee", "purpose": "purpose"})
    return table


def payments(prefix: str) -> pa.Table:
    qs = (Payment.objects.filter(Q(household__village__code__startswith=prefix)
                                 | Q(household__isnull=True, county__code__startswith=prefix[:6]))
          .annotate(payee=_payee_hash()))
    table = _table("payments", qs, {
        "payment_no": "payment_no", "id_hash": "payee", "name": "name", "household_no": "household_no",
        "item": "item", "period": "period", "amount": "amount", "paid_date": "paid_date",
        "fund_no": "fund__fund_no", "project_no": "project__project_no", "loan_no": "loan_no"})
    return table


def _payee_hash() -> Any:
    from django.db.models import Case, CharField, When

    return Case(When(id_number_hash="", then=F("id_hash")), default=F("id_number_hash"), output_field=CharField())


def village_cadres(prefix: str) -> pa.Table:
    qs = VillageCadre.objects.filter(village__code__startswith=prefix)
    return _table("village_cadres", qs, {"id_hash": "id_number_hash", "name": "name", "division_code": "village_id",
                                         "position": "position", "start_date": "start_date",
                                         "end_date": "end_date"})


def announcements(prefix: str) -> pa.Table:
    qs = Announcement.objects.filter(project__division__code__startswith=prefix)
    return _table("announcements", qs, {"project_no": "project__project_no", "kind": "kind",
                                         "start_date": "start_date", "end_date": "end_date"})


def members(year: int, prefix: str) -> pa.Table:
    """Every member of the registry years up to ``year`` under ``prefix`` (the rules read the payment's period
    year and the project's year)."""
    qs = MemberYear.objects.filter(year__lte=year, household_year__household__village__code__startswith=prefix)
    table = _table("members", qs, {
        "id_hash": "person__id_number_hash", "name": "person__name",
        "household_no": "household_year__household__household_no",
        "village_code": "household_year__household__village_id", "year": "year",
        "household_status": "household_year__status", "member_status": "member_status",
        "change_date": "change_date", "birth_date": "person__birth_date"})
    return table


# ---- micro-credit and asset income (funds.md §1, §5, §6) ----

def _loans_within(prefix: str) -> Q:
    """A loan belongs where its household is; a borrower outside the registry, to the loan's county."""
    return Q(household__village__code__startswith=prefix) | Q(household__isnull=True,
                                                              county__code__startswith=prefix[:6])


def loans(prefix: str) -> pa.Table:
    qs = Loan.objects.filter(_loans_within(prefix))
    return _table("loans", qs, {
        "loan_no": "loan_no", "household_no": "household_no", "id_hash": "id_number_hash", "name": "name",
        "bank": "bank", "loan_date": "loan_date", "due_date": "due_date", "extended_due_date": "extended_due_date",
        "amount": "amount", "annual_rate": "annual_rate", "guarantee": "guarantee", "purpose": "purpose",
        "renewal_of": "renewal_of__loan_no"})


def loan_repayments(prefix: str) -> pa.Table:
    qs = LoanRepayment.objects.filter(loan__in=Loan.objects.filter(_loans_within(prefix)))
    return _table("loan_repayments", qs, {"loan_no": "loan__loan_no", "date": "date", "principal": "principal",
                                          "interest": "interest"})


def _assets_within(prefix: str) -> Q:
    """An asset belongs where it is, or where one of the villages it shares with is."""
    return Q(division__code__startswith=prefix) | Q(villages__code__startswith=prefix)


def assets(prefix: str) -> pa.Table:
    """Assets with their villages as the file's text (区划代码 joined by ';', in code order)."""
    ids = Asset.objects.filter(_assets_within(prefix)).values("pk")
    qs = Asset.objects.filter(pk__in=ids).order_by("asset_no")
    table = _table("assets", qs, {
        "asset_no": "asset_no", "name": "name", "project_no": "project__project_no", "kind": "kind",
        "division_code": "division_id", "value": "value", "formed_date": "formed_date", "operator": "operator",
        "method": "method", "household_ratio": "household_ratio", "status": "status"})
    villages: dict[str, list[str]] = {}
    for asset_no, code in (Asset.villages.through.objects.filter(asset_id__in=ids).order_by("division_id")
                           .values_list("asset__asset_no", "division_id")):
        villages.setdefault(asset_no, []).append(code)
    joined = [";".join(villages[n]) if n in villages else None for n in table.column("asset_no").to_pylist()]
    return table.set_column(table.schema.get_field_index("villages"), t.ASSETS.field("villages"),
                            pa.array(joined, pa.string()))


def asset_income(prefix: str) -> pa.Table:
    ids = Asset.objects.filter(_assets_within(prefix)).values("pk")
    qs = AssetIncome.objects.filter(asset_id__in=ids)
    return _table("asset_income", qs, {"asset_no": "asset__asset_no", "year": "year", "income": "income"})


def household_years(year: int, prefix: str) -> pa.Table:
    """Registry households up to ``year`` under ``prefix`` with status, exit year and active member count
    (the dividends read year Y, L-INELIGIBLE the loan's year)."""
    qs = (HouseholdYear.objects.filter(year__lte=year, household__village__code__startswith=prefix)
          .annotate(active=Count("members", filter=Q(members__member_status=MemberStatus.ACTIVE))))
    return _table("household_years", qs, {
        "household_no": "household__household_no", "year": "year", "village_code": "household__village_id",
        "status": "status", "exit_year": "exit_year", "active_members": "active"})


def deaths() -> pa.Table:
    """The newest load of the 公安 deaths dataset, by hash: exact loads are hashed here, in memory."""
    load = DatasetLoad.objects.filter(dataset="deaths").order_by("-version").first()
    if load is None:
        return t.DEATHS.empty_table()
    stored = pq.read_table(data_path(load.path))
    if "id_hash" in stored.column_names and stored.column("id_hash").null_count < stored.num_rows:
        hashes = stored.column("id_hash")
    else:
        hashes = None
    if "id_number" in stored.column_names:
        from django.conf import settings

        from_numbers = hash_ids(stored.column("id_number"), settings.SUNSHINE_ID_HASH_KEY)
        hashes = from_numbers if hashes is None else pc.coalesce(hashes, from_numbers)
    if hashes is None:
        return t.DEATHS.empty_table()
    return t.conform("deaths", pa.table({"id_hash": hashes, "death_date": stored.column("death_date")}))


def colliding_keys(prefix: str) -> bool:
    """Whether two counties under ``prefix`` use the same project, fund or payment number."""
    for model, key, county in ((Project, "project_no", "county"), (Fund, "fund_no", "county"),
                               (Payment, "payment_no", "county"), (Loan, "loan_no", "county"),
                               (Asset, "asset_no", "county")):
        clash = (model.objects.filter(**{f"{county}__code__startswith": prefix[:6] if len(prefix) >= 6 else prefix})
                 .values(key).annotate(n=Count(county, distinct=True)).filter(n__gt=1))
        if clash.exists():
            return True
    return False


def build(year: int, prefix: str) -> dict[str, pa.Table]:
    """Every table the funds check reads, for ``year`` within ``prefix``."""
    return {"projects": projects(prefix), "project_beneficiaries": beneficiaries(prefix), "funds": funds(prefix),
            "allocations": allocations(prefix), "expenditures": expenditures(prefix),
            "payments": payments(prefix), "village_cadres": village_cadres(prefix),
            "announcements": announcements(prefix), "members": members(year, prefix), "deaths": deaths(),
            **credit(year, prefix)}


def credit(year: int, prefix: str) -> dict[str, pa.Table]:
    """The tables of the L-* rules, the interest subsidy and the dividends, read for the whole county of a
    narrower ``prefix``: an asset's pool is split among all its villages' households, so a village's share is
    right only when every village of the asset is read (the engine's division_prefix then picks the rows)."""
    county = prefix[:COUNTY_DIGITS] if len(prefix) > COUNTY_DIGITS else prefix
    return {"loans": loans(county), "loan_repayments": loan_repayments(county), "assets": assets(county),
            "asset_income": asset_income(county), "household_years": household_years(year, county)}

