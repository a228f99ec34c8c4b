"""Importers of the micro-credit and asset-income files (funds.md §1 loans, loan_repayments, assets,
asset_income), on the pattern of sunshine.funds.transfer.kinds.

A loan's borrower is stored like a payee (ID number encrypted beside its keyed hash); its household is the
户编号 given, else the registry household the borrower belonged to in the loan's year. 续贷 names a loan of
the same county (already stored, or in the same file); setting it, or a 展期到期日, records a LoanEvent with the
importing user, so the loan page shows who did it and when — and re-importing the same file records nothing.
Repayments and incomes name their loan or asset by number within the county; repayments have no number of
their own and are matched by all their facts (see kinds.upsert_multiset)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import models

from sunshine.core.crypto import keyed_hash
from sunshine.engine.funds.tables import OPERATING
from sunshine.funds.choices import LoanAction
from sunshine.funds.credit import forget_dividends, store_dividends
from sunshine.funds.models_credit import Asset, AssetIncome, Loan, LoanEvent, LoanRepayment
from sunshine.funds.transfer import resolve
from sunshine.funds.transfer.kinds import IMPORT_NOTE, Counts, Importer, Row, _text
from sunshine.funds.transfer.resolve import Library, county_of, in_chunks


def numbered(ctx: resolve.Context, model: type[models.Model], key: str,
             numbers: Iterable[str]) -> dict[str, dict[str, int]]:
    """number → {county code: pk} of the ``model`` rows named, within the context's county or scope."""
    wanted = {n for n in numbers if n}
    out: dict[str, dict[str, int]] = defaultdict(dict)
    if not wanted:
        return out
    qs = model.objects.filter(county__code__startswith=ctx.prefix).values_list(key, "county_id", "pk")
    for number, county, pk in in_chunks(qs, key, wanted):
        out[number][county] = pk
    return out


def place(ctx: resolve.Context, found: dict[str, dict[str, int]], number: str,
          label: str) -> tuple[str | None, int | None, str]:
    """(county, pk, "") of the one stored ``number`` in the context's county (or the actor's scope); else
    (None, None, why)."""
    counties = found.get(number, {})
    if ctx.county:
        pk = counties.get(ctx.county)
        return (ctx.county, pk, "") if pk else (None, None, f"{label}“{number}”在本县尚未导入")
    if not counties:
        return None, None, f"{label}“{number}”在您管辖的县尚未导入"
    if len(counties) > 1:
        return None, None, "多个县有相同的编号,请用 --county 指定县(或由县级管理员导入)"
    county, pk = next(iter(counties.items()))
    return county, pk, ""


class Loans(Importer):
    kind, model = "loans", Loan
    FIELDS = ("household_no", "name", "bank", "loan_date", "due_date", "extended_due_date", "amount",
              "annual_rate", "guarantee", "purpose")

    def check(self) -> None:
        sheet = self.sheet
        for row in sheet.typed:
            self._check_row(row)
            row["_hash"] = keyed_hash(row["id_number"]) if row["id_number"] else ""
        given = resolve.households(r["household_no"] for r in sheet.typed)
        by_borrower = resolve.households_of_payees(
            (r["_hash"], r["loan_date"].year) for r in sheet.typed if r["loan_date"] and not r["household_no"])
        counties: dict[int, str] = {}
        households: dict[int, tuple[int | None, str]] = {}
        for row in sheet.typed:
            if row["_index"] in sheet.bad:
                continue
            if row["household_no"]:
                found = given.get(row["household_no"])
                if found is None:
                    sheet.error_at(row, "household_no", "户编号在建档立卡数据中不存在")
                    continue
                households[row["_index"]] = (found[0], row["household_no"])
                village: str | None = found[1]
            else:
                member = by_borrower.get((row["_hash"], row["loan_date"].year))
                households[row["_index"]] = (member[0], member[1]) if member else (None, "")
                village = member[2] if member else None
            if village is not None:
                problem = self.ctx.division_problem(village)
                if problem:
                    sheet.error_at(row, "household_no", f"借款人所在户{problem}")
                    continue
                county: str | None = county_of(village)
            else:
                county = self.ctx.county
            if county is None:
                field = "household_no" if "household_no" in sheet.raw.headers else "id_number"
                sheet.error_at(row, field, "无法确定所属县:借款人不在建档立卡数据中,请填写户编号或用 --county 指定县")
                continue
            counties[row["_index"]] = county
        sheet.duplicates(("loan_no",), "loan_no", extra=counties)
        stored = numbered(self.ctx, Loan, "loan_no", {r["renewal_of"] for r in sheet.typed} - {None})
        in_file = {(counties[r["_index"]], r["loan_no"]) for r in sheet.typed if r["_index"] in counties}
        for row in sheet.typed:
            county = counties.get(row["_index"])
            if county is None or row["_index"] in sheet.bad:
                continue
            old = row["renewal_of"]
            if old and county not in stored.get(old, {}) and (county, old) not in in_file:
                sheet.error_at(row, "renewal_of", f"续贷的原贷款“{old}”在本县尚未导入")
                continue
            household, household_no = households[row["_index"]]
            values = {f: row[f] for f in self.FIELDS}
            values.update(county_id=county, loan_no=row["loan_no"], id_number=row["id_number"],
                          household_id=household, household_no=household_no, name=_text(row["name"]),
                          purpose=_text(row["purpose"]))
            self.planned.append((row, values))

    def _check_row(self, row: Row) -> None:
        sheet = self.sheet
        start, due, extended = row["loan_date"], row["due_date"], row["extended_due_date"]
        if start and due and due <= start:
            sheet.error_at(row, "due_date", "到期日期应晚于放款日期")
        if due and extended and extended <= due:
            sheet.error_at(row, "extended_due_date", "展期到期日应晚于到期日期")
        if row["amount"] is not None and row["amount"] <= 0:
            sheet.error_at(row, "amount", "贷款金额应大于0")
        if row["renewal_of"] and row["renewal_of"] == row["loan_no"]:
            sheet.error_at(row, "renewal_of", "续贷不能指向本笔贷款")

    def apply(self, rows: set[int]) -> Counts:
        todo = self.todo(rows)
        counties = {v["county_id"] for _, v in todo}
        existing = {(x.county_id, x.loan_no): x for x in in_chunks(
            Loan.objects.filter(county_id__in=counties), "loan_no", (v["loan_no"] for _, v in todo))}
        actor = self.ctx.actor
        events: list[LoanEvent] = []
        stored_before, changed = set(existing), set()

        def extension(loan: Loan) -> LoanEvent:
            return LoanEvent(loan=loan, action=LoanAction.EXTENSION, user=actor, note=IMPORT_NOTE,
                             new_due_date=loan.extended_due_date)

        def created(objs: list[models.Model]) -> None:
            events.extend(extension(x) for x in objs if x.extended_due_date)  # type: ignore[attr-defined]

        def updated(obj: models.Model, before: dict[str, Any]) -> None:
            changed.add((obj.county_id, obj.loan_no))  # type: ignore[attr-defined]
            if "extended_due_date" in before and obj.extended_due_date:  # type: ignore[attr-defined]
                events.append(extension(obj))  # type: ignore[arg-type]

        counts = self.upsert(existing, [((v["county_id"], v["loan_no"]), v) for _, v in todo],
                             created=created, updated=updated)
        # 续贷 second, so that a renewal may name a loan of the same file.
        named = {(v["county_id"], row["renewal_of"]) for row, v in todo if row["renewal_of"]}
        missing = named - set(existing)
        for county in {c for c, _ in missing}:
            for loan in Loan.objects.filter(county_id=county, loan_no__in=[n for c, n in missing if c == county]):
                existing[(loan.county_id, loan.loan_no)] = loan
        for row, values in todo:
            key = (values["county_id"], values["loan_no"])
            loan = existing[key]
            old = existing.get((values["county_id"], row["renewal_of"])) if row["renewal_of"] else None
            old_id = old.pk if old is not None else None
            if loan.renewal_of_id == old_id:
                continue
            loan.renewal_of_id = old_id
            loan.save(update_fields=["renewal_of", "updated_at"])
            if old is not None:
                events.append(LoanEvent(loan=old, action=LoanAction.RENEWAL, user=actor, note=IMPORT_NOTE,
                                        new_loan=loan))
            if key in stored_before and key not in changed:
                changed.add(key)
                counts.unchanged -= 1
                counts.updated += 1
        LoanEvent.objects.bulk_create(events)
        return counts


class Repayments(Importer):
    kind, model = "loan_repayments", LoanRepayment

    def check(self) -> None:
        sheet = self.sheet
        found = numbered(self.ctx, Loan, "loan_no", (r["loan_no"] for r in sheet.typed))
        dates = dict(Loan.objects.filter(pk__in={pk for c in found.values() for pk in c.values()})
                     .values_list("pk", "loan_date"))
        for row in sheet.typed:
            if row["_index"] in sheet.bad:
                continue
            if row["principal"] is not None and row["principal"] < 0:
                sheet.error_at(row, "principal", "本金不能为负数")
                continue
            _, pk, why = place(self.ctx, found, row["loan_no"], "贷款编号")
            if pk is None:
                sheet.error_at(row, "loan_no", why)
                continue
            if row["date"] < dates[pk]:
                sheet.error_at(row, "date", "还款日期早于放款日期")
                continue
            self.planned.append((row, {"loan_id": pk, "date": row["date"], "principal": row["principal"],
                                       "interest": row["interest"] if row["interest"] is not None else Decimal(0)}))

    def apply(self, rows: set[int]) -> Counts:
        todo = self.todo(rows)

        def key(x: Any) -> tuple[Any, ...]:
            get = x.get if isinstance(x, dict) else lambda f: getattr(x, f)
            return get("loan_id"), get("date"), Decimal(get("principal")), Decimal(get("interest"))

        existing = sorted(in_chunks(LoanRepayment.objects.all(), "loan_id", (v["loan_id"] for _, v in todo)),
                          key=lambda r: r.pk)
        return self.upsert_multiset(existing, key, todo)


class Assets(Importer):
    kind, model = "assets", Asset
    FIELDS = ("name", "kind", "value", "formed_date", "method", "household_ratio")

    def check(self) -> None:
        sheet = self.sheet
        counties: dict[int, str] = {}
        for row in sheet.typed:
            county = self.county_by_code(row)
            if county:
                counties[row["_index"]] = county
        sheet.duplicates(("asset_no",), "asset_no", extra=counties)
        library = Library(self.ctx, project_nos={r["project_no"] for r in sheet.typed} - {None})
        self.ctx.known(c for r in sheet.typed for c in (r["villages"] or ()))
        for row in sheet.typed:
            county = counties.get(row["_index"])
            if county is None:
                continue
            project = library.project(county, row["project_no"])
            if row["project_no"] and project is None:
                sheet.error_at(row, "project_no", f"项目编号“{row['project_no']}”在本县尚未导入")
            for code in row["villages"] or ():
                if not self.ctx._divisions.get(code):
                    sheet.error_at(row, "villages", f"受益村 {code} 不存在(未在区划表中)")
                elif not code.startswith(county[:6]):
                    sheet.error_at(row, "villages", f"受益村 {code} 不在本县")
            if row["_index"] in sheet.bad:
                continue
            values = {f: row[f] for f in self.FIELDS}
            values.update(county_id=county, asset_no=row["asset_no"], project_id=project,
                          division_id=row["division_code"], operator=_text(row["operator"]),
                          status=row["status"] or OPERATING)
            self.planned.append((row, values))

    def apply(self, rows: set[int]) -> Counts:
        todo = self.todo(rows)
        existing = {(a.county_id, a.asset_no): a for a in in_chunks(
            Asset.objects.filter(county_id__in={v["county_id"] for _, v in todo}), "asset_no",
            (v["asset_no"] for _, v in todo))}
        before = set(existing)
        counts = self.upsert(existing, [((v["county_id"], v["asset_no"]), v) for _, v in todo])
        through = Asset.villages.through
        stored: dict[int, set[str]] = defaultdict(set)
        ids = [existing[(v["county_id"], v["asset_no"])].pk for _, v in todo]
        for asset_id, code in in_chunks(through.objects.values_list("asset_id", "division_id"), "asset_id", ids):
            stored[asset_id].add(code)
        for row, values in todo:
            key = (values["county_id"], values["asset_no"])
            asset = existing[key]
            wanted = set(row["villages"] or ())
            if stored[asset.pk] == wanted:
                continue
            asset.villages.set(sorted(wanted))
            if key in before and counts.unchanged:
                counts.unchanged -= 1
                counts.updated += 1
        if counts.created or counts.updated:
            for county in {v["county_id"] for _, v in todo}:
                forget_dividends(county)
                years = AssetIncome.objects.filter(asset__county_id=county).order_by().values_list("year", flat=True)
                for year in sorted(set(years)):
                    store_dividends(county, year)
        return counts


class Incomes(Importer):
    kind, model = "asset_income", AssetIncome

    def check(self) -> None:
        sheet = self.sheet
        found = numbered(self.ctx, Asset, "asset_no", (r["asset_no"] for r in sheet.typed))
        places: dict[int, int] = {}
        for row in sheet.typed:
            if row["_index"] in sheet.bad:
                continue
            if row["income"] is not None and row["income"] < 0:
                sheet.error_at(row, "income", "可分配收益不能为负数")
                continue
            _, pk, why = place(self.ctx, found, row["asset_no"], "资产编号")
            if pk is None:
                sheet.error_at(row, "asset_no", why)
                continue
            places[row["_index"]] = pk
        sheet.duplicates(("asset_no", "year"), "year", extra=places)
        for row in sheet.typed:
            pk = places.get(row["_index"])
            if pk is not None and row["_index"] not in sheet.bad:
                self.planned.append((row, {"asset_id": pk, "year": row["year"], "income": row["income"]}))

    def apply(self, rows: set[int]) -> Counts:
        todo = self.todo(rows)
        existing = {(i.asset_id, i.year): i for i in in_chunks(
            AssetIncome.objects.all(), "asset_id", (v["asset_id"] for _, v in todo))}
        counts = self.upsert(existing, [((v["asset_id"], v["year"]), v) for _, v in todo])
        if counts.created or counts.updated:
            changed = defaultdict(set)
            for _asset, county, year in in_chunks(
                    AssetIncome.objects.values_list("asset_id", "asset__county_id", "year"), "asset_id",
                    {v["asset_id"] for _, v in todo}):
                changed[county].add(year)
            for county, years in changed.items():   # the county's new distribution, ready for its pages
                for year in sorted(years):
                    store_dividends(county, year)
        return counts


CREDIT_IMPORTERS: dict[str, type[Importer]] = {cls.kind: cls for cls in (Loans, Repayments, Assets, Incomes)}
