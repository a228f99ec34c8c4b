"""One importer per kind of funds file: ``check`` resolves each typed row's county and references (adding
row errors), ``apply`` writes the good rows.

Re-importing a file changes nothing: rows are matched by their key within the county — 项目编号, 资金编号,
发放编号; a beneficiary by project and household; a cadre by ID, village and term start. Allocations and
expenditures have no number: a row is matched by all its facts (fund, project, date, amount; project, date,
amount, payee), the n-th such row of the file with the n-th such record already stored, so two equal
transfers on one day stay two. An import adds and updates; it never deletes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from django.db import models

from sunshine.core.crypto import keyed_hash
from sunshine.engine.funds.params import DEFAULT_ITEMS, MONTH
from sunshine.funds.choices import ProjectStatus
from sunshine.funds.models import (
    Allocation,
    Expenditure,
    Fund,
    Payment,
    Project,
    ProjectBeneficiary,
    ProjectTransition,
    VillageCadre,
)
from sunshine.funds.transfer import resolve
from sunshine.funds.transfer.resolve import Context, Library, county_of, in_chunks
from sunshine.funds.transfer.sheet import Sheet

Row = dict[str, Any]
IMPORT_NOTE = "文件导入"
BATCH = 1000
ITEM_PERIODS = {item.code: item.period for item in DEFAULT_ITEMS}
LOAN_ITEM = "loan_interest_subsidy"


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _same(old: Any, new: Any) -> bool:
    # The ORM gives "" where a file gives None for an empty text.
    return (old if old not in ("", None) else None) == (new if new not in ("", None) else None)


def _text(value: Any) -> Any:
    return "" if value is None else value


def _hashes(model: type[models.Model], fields: Iterable[str]) -> list[str]:
    """The keyed-hash columns of the encrypted fields among ``fields`` (save recomputes them only if named)."""
    out = []
    for name in fields:
        hash_field = getattr(model._meta.get_field(name), "hash_field", None)
        if hash_field:
            out.append(hash_field)
    return out


class Importer:
    """``planned``: (row, values to write) of every row that passed ``check``."""

    kind: ClassVar[str]
    model: ClassVar[type[models.Model]]

    def __init__(self, sheet: Sheet, ctx: Context) -> None:
        self.sheet, self.ctx = sheet, ctx
        self.planned: list[tuple[Row, dict[str, Any]]] = []

    def check(self) -> None:
        raise NotImplementedError

    def apply(self, rows: set[int]) -> Counts:
        """Write the planned rows whose index is in ``rows``."""
        raise NotImplementedError

    def todo(self, rows: set[int]) -> list[tuple[Row, dict[str, Any]]]:
        return [(row, values) for row, values in self.planned if row["_index"] in rows]

    # ---- shared steps ----

    def county_by_code(self, row: Row, field: str = "division_code") -> str | None:
        code = row[field]
        if code is None:
            return None
        problem = self.ctx.division_problem(code)
        if problem:
            self.sheet.error_at(row, field, problem)
            return None
        return county_of(code)

    def upsert(self, existing: dict[Any, models.Model], items: Iterable[tuple[Any, dict[str, Any]]],
               created: Callable[[list[models.Model]], None] | None = None,
               updated: Callable[[models.Model, dict[str, Any]], None] | None = None) -> Counts:
        """Create the keys not in ``existing``, update those whose values differ."""
        counts, new = Counts(), []
        stamp = "updated_at" if any(f.name == "updated_at" for f in self.model._meta.fields) else None
        for key, values in items:
            obj = existing.get(key)
            if obj is None:
                obj = self.model(**values)
                existing[key] = obj
                new.append(obj)
                counts.created += 1
                continue
            changed = {f: v for f, v in values.items() if not _same(getattr(obj, f), v)}
            if not changed:
                counts.unchanged += 1
                continue
            before = {f: getattr(obj, f) for f in changed}
            for name, value in changed.items():
                setattr(obj, name, value)
            obj.save(update_fields=[*changed, *_hashes(self.model, changed), *([stamp] if stamp else [])])
            if updated is not None:
                updated(obj, before)
            counts.updated += 1
        for start in range(0, len(new), BATCH):
            self.model.objects.bulk_create(new[start:start + BATCH])
        if created is not None and new:
            created(new)
        return counts

    def upsert_multiset(self, existing: Iterable[models.Model], key_of: Callable[[Any], tuple[Any, ...]],
                        todo: list[tuple[Row, dict[str, Any]]], extra: tuple[str, ...] = ()) -> Counts:
        """Match the n-th row of a key with the n-th stored record of that key (see the module docstring)."""
        stored: dict[tuple[Any, ...], list[models.Model]] = defaultdict(list)
        for obj in existing:
            stored[key_of(obj)].append(obj)
        counts, new = Counts(), []
        for _, values in todo:
            same = stored.get(key_of(values))
            if not same:
                new.append(self.model(**values))
                counts.created += 1
                continue
            obj = same.pop(0)
            changed = {f: values[f] for f in extra if not _same(getattr(obj, f), values[f])}
            if changed:
                for name, value in changed.items():
                    setattr(obj, name, value)
                obj.save(update_fields=list(changed))
                counts.updated += 1
            else:
                counts.unchanged += 1
        for start in range(0, len(new), BATCH):
            self.model.objects.bulk_create(new[start:start + BATCH])
        return counts


class Projects(Importer):
    kind, model = "projects", Project
    FIELDS = ("name", "category", "year", "budget", "content", "performance_target", "planned_households",
              "planned_registered_households", "planned_start", "planned_end", "actual_end", "implementer")

    def check(self) -> None:
        counties: dict[int, str] = {}
        for row in self.sheet.typed:
            county = self.county_by_code(row)
            if county:
                counties[row["_index"]] = county
        self.sheet.duplicates(("project_no",), "project_no", extra=counties)
        for row in self.sheet.typed:
            county = counties.get(row["_index"])
            if county is None or row["_index"] in self.sheet.bad:
                continue
            values = {f: row[f] if f not in ("content", "performance_target", "implementer") else _text(row[f])
                      for f in self.FIELDS}
            values.update(county_id=county, project_no=row["project_no"], division_id=row["division_code"])
            if row["status"]:
                values["status"] = row["status"]
            self.planned.append((row, values))

    def apply(self, rows: set[int]) -> Counts:
        todo = self.todo(rows)
        existing = {(p.county_id, p.project_no): p for p in in_chunks(
            Project.objects.filter(county_id__in={v["county_id"] for _, v in todo}), "project_no",
            (v["project_no"] for _, v in todo))}
        actor = self.ctx.actor

        def created(objs: list[models.Model]) -> None:
            ProjectTransition.objects.bulk_create([
                ProjectTransition(project=p, from_status="", to_status=p.status, user=actor, note=IMPORT_NOTE)
                for p in objs], batch_size=BATCH)

        def updated(obj: models.Model, before: dict[str, Any]) -> None:
            if "status" in before:
                ProjectTransition.objects.create(project=obj, from_status=before["status"], to_status=obj.status,
                                                 user=actor, note=IMPORT_NOTE)

        items = []
        for _, values in todo:
            values = dict(values)
            values.setdefault("status", ProjectStatus.PROPOSED if (values["county_id"], values["project_no"])
                              not in existing else existing[(values["county_id"], values["project_no"])].status)
            items.append(((values["county_id"], values["project_no"]), values))
        return self.upsert(existing, items, created=created, updated=updated)


class Funds(Importer):
    kind, model = "funds", Fund

    def check(self) -> None:
        counties: dict[int, str] = {}
        for row in self.sheet.typed:
            county = self.county_by_code(row) if row["division_code"] else self.ctx.county
            if county is None and row["division_code"] is None:
                self.sheet.error_at(row, "division_code", "请填写资金下达到的县的区划代码")
            if county:
                counties[row["_index"]] = county
        self.sheet.duplicates(("fund_no",), "fund_no", extra=counties)
        for row in self.sheet.typed:
            county = counties.get(row["_index"])
            if county is None or row["_index"] in self.sheet.bad:
                continue
            self.planned.append((row, {
                "county_id": county, "fund_no": row["fund_no"], "document_no": _text(row["document_no"]),
                "source": row["source"], "year": row["year"], "issued_date": row["issued_date"],
                "amount": row["amount"]}))

    def apply(self, rows: set[int]) -> Counts:
        todo = self.todo(rows)
        existing = {(f.county_id, f.fund_no): f for f in in_chunks(
            Fund.objects.filter(county_id__in={v["county_id"] for _, v in todo}), "fund_no",
            (v["fund_no"] for _, v in todo))}
        return self.upsert(existing, [((v["county_id"], v["fund_no"]), v) for _, v in todo])


class _ByLibrary(Importer):
    """Rows placed in a county by the project and fund numbers they name."""

    def library(self) -> Library:
        typed = self.sheet.typed
        return Library(self.ctx, project_nos={r.get("project_no") for r in typed} - {None},
                       fund_nos={r.get("fund_no") for r in typed} - {None})

    def place(self, library: Library, row: Row, *, fund: bool) -> str | None:
        if row["_index"] in self.sheet.bad:
            return None
        county, field, message = library.locate(project_no=row["project_no"],
                                                fund_no=row["fund_no"] if fund else None, county=self.ctx.county)
        if field:
            self.sheet.error_at(row, field, message)
        return county


class Allocations(_ByLibrary):
    kind, model = "allocations", Allocation

    def check(self) -> None:
        library = self.library()
        for row in self.sheet.typed:
            county = self.place(library, row, fund=True)
            if county:
                self.planned.append((row, {"fund_id": library.fund(county, row["fund_no"]),
                                           "project_id": library.project(county, row["project_no"]),
                                           "date": row["date"], "amount": row["amount"]}))

    def apply(self, rows: set[int]) -> Counts:
        todo = self.todo(rows)

        def key(x: Any) -> tuple[Any, ...]:
            get = x.get if isinstance(x, dict) else lambda f: getattr(x, f)
            return get("fund_id"), get("project_id"), get("date"), get("amount")

        existing = sorted(in_chunks(Allocation.objects.all(), "project_id", (v["project_id"] for _, v in todo)),
                          key=lambda a: a.pk)
        return self.upsert_multiset(existing, key, todo)


class Expenditures(_ByLibrary):
    kind, model = "expenditures", Expenditure

    def check(self) -> None:
        library = self.library()
        for row in self.sheet.typed:
            county = self.place(library, row, fund=False)
            if county:
                self.planned.append((row, {"project_id": library.project(county, row["project_no"]),
                                           "date": row["date"], "amount": row["amount"],
                                           "payee": _text(row["payee"]), "purpose": _text(row["purpose"])}))

    def apply(self, rows: set[int]) -> Counts:
        todo = self.todo(rows)

        def key(x: Any) -> tuple[Any, ...]:
            get = x.get if isinstance(x, dict) else lambda f: getattr(x, f)
            return get("project_id"), get("date"), get("amount"), get("payee") or ""

        existing = sorted(in_chunks(Expenditure.objects.all(), "project_id", (v["project_id"] for _, v in todo)),
                          key=lambda e: e.pk)
        return self.upsert_multiset(existing, key, todo, extra=("purpose",))


class Beneficiaries(_ByLibrary):
    kind, model = "project_beneficiaries", ProjectBeneficiary

    def check(self) -> None:
        library = self.library()
        found = resolve.households(r["household_no"] for r in self.sheet.typed)
        placed: dict[int, tuple[int, int]] = {}
        for row in self.sheet.typed:
            county = self.place(library, row, fund=False)
            if county is None:
                continue
            household = found.get(row["household_no"])
            if household is None:
                self.sheet.error_at(row, "household_no", "户编号在建档立卡数据中不存在")
            elif not household[1].startswith(county[:6]):
                self.sheet.error_at(row, "household_no", "该户不在项目所属的县")
            else:
                placed[row["_index"]] = (library.project(county, row["project_no"]), household[0])
        self.sheet.duplicates(("project_no", "household_no"), "household_no")
        for row in self.sheet.typed:
            pair = placed.get(row["_index"])
            if pair and row["_index"] not in self.sheet.bad:
                self.planned.append((row, {"project_id": pair[0], "household_id": pair[1]}))

    def apply(self, rows: set[int]) -> Counts:
        todo = self.todo(rows)
        existing = {(b.project_id, b.household_id): b for b in in_chunks(
            ProjectBeneficiary.objects.all(), "project_id", (v["project_id"] for _, v in todo))}
        return self.upsert(existing, [((v["project_id"], v["household_id"]), v) for _, v in todo])


class Payments(Importer):
    kind, model = "payments", Payment

    def check(self) -> None:
        sheet = self.sheet
        for row in sheet.typed:
            self._check_row(row)
            row["_hash"] = keyed_hash(row["id_number"]) if row["id_number"] else (row["id_hash"] or "")
        given = resolve.households(r["household_no"] for r in sheet.typed)
        by_payee = resolve.households_of_payees(
            (r["_hash"], int(r["period"][:4])) for r in sheet.typed if r["period"] and not r["household_no"])
        counties: dict[int, str] = {}
        households: dict[int, tuple[int | None, str]] = {}
        for row in sheet.typed:
            if row["_index"] in sheet.bad:
                continue
            county: str | None = None
            if row["household_no"]:
                found = given.get(row["household_no"])
                if found is None:
                    sheet.error_at(row, "household_no", "户编号在建档立卡数据中不存在")
                    continue
                households[row["_index"]] = (found[0], row["household_no"])
                village = found[1]
            else:
                member = by_payee.get((row["_hash"], int(row["period"][:4])))
                households[row["_index"]] = (member[0], member[1]) if member else (None, "")
                village = member[2] if member else None
            if village is not None:
                problem = self.ctx.division_problem(village)
                if problem:
                    sheet.error_at(row, "household_no", f"领取人所在户{problem}")
                    continue
                county = county_of(village)
            else:
                county = self.ctx.county
            if county is None:
                field = "household_no" if "household_no" in sheet.raw.headers else "payment_no"
                sheet.error_at(row, field, "无法确定所属县:领取人不在建档立卡数据中,请填写户编号或用 --county 指定县")
                continue
            counties[row["_index"]] = county
        sheet.duplicates(("payment_no",), "payment_no", extra=counties)
        library = Library(self.ctx, project_nos={r["project_no"] for r in sheet.typed} - {None},
                          fund_nos={r["fund_no"] for r in sheet.typed} - {None})
        for row in sheet.typed:
            county = counties.get(row["_index"])
            if county is None or row["_index"] in sheet.bad:
                continue
            fund = library.fund(county, row["fund_no"])
            project = library.project(county, row["project_no"])
            if row["fund_no"] and fund is None:
                sheet.error_at(row, "fund_no", f"资金编号“{row['fund_no']}”在本县尚未导入")
            if row["project_no"] and project is None:
                sheet.error_at(row, "project_no", f"项目编号“{row['project_no']}”在本县尚未导入")
            if row["_index"] in sheet.bad:
                continue
            household, household_no = households[row["_index"]]
            self.planned.append((row, {
                "county_id": county, "payment_no": row["payment_no"], "id_number": _text(row["id_number"]),
                "id_hash": "" if row["id_number"] else _text(row["id_hash"]), "name": _text(row["name"]),
                "household_id": household, "household_no": household_no, "item": row["item"],
                "period": row["period"], "amount": row["amount"], "paid_date": row["paid_date"], "fund_id": fund,
                "project_id": project, "loan_no": _text(row["loan_no"])}))

    def _check_row(self, row: Row) -> None:
        sheet = self.sheet
        if row["id_number"] and row["id_hash"]:
            sheet.error_at(row, "id_hash", "“身份证号”和“身份证号哈希”只能填写其中一项")
        elif not row["id_number"] and not row["id_hash"] and not self._bad_cell(row, ("id_number", "id_hash")):
            field = "id_number" if "id_number" in sheet.raw.headers else "id_hash"
            sheet.error_at(row, field, "必填:“身份证号”或“身份证号哈希”")
        item, period = row["item"], row["period"]
        if item and period:
            monthly = ITEM_PERIODS.get(item) == MONTH
            if monthly and len(period) != 7:
                sheet.error_at(row, "period", "按月发放的项目,所属期应为 YYYY-MM(如 2020-03)")
            elif not monthly and len(period) != 4:
                sheet.error_at(row, "period", "该项目按年度(或一次性)发放,所属期应为年度 YYYY")
        if item == LOAN_ITEM and not row["loan_no"]:
            sheet.error_at(row, "loan_no" if "loan_no" in sheet.raw.headers else "item", "小额信贷贴息须填写贷款编号")

    def _bad_cell(self, row: Row, fields: tuple[str, ...]) -> bool:
        raw = self.sheet.raw.rows[row["_index"]]
        return any(raw.get(f) for f in fields)

    def apply(self, rows: set[int]) -> Counts:
        todo = self.todo(rows)
        existing = {(p.county_id, p.payment_no): p for p in in_chunks(
            Payment.objects.filter(county_id__in={v["county_id"] for _, v in todo}), "payment_no",
            (v["payment_no"] for _, v in todo))}
        return self.upsert(existing, [((v["county_id"], v["payment_no"]), v) for _, v in todo])


class Cadres(Importer):
    kind, model = "village_cadres", VillageCadre

    def check(self) -> None:
        sheet = self.sheet
        for row in sheet.typed:
            if row["division_code"]:
                self.county_by_code(row)
            if row["start_date"] and row["end_date"] and row["end_date"] < row["start_date"]:
                sheet.error_at(row, "end_date", "任职结束不能早于任职开始")
        sheet.duplicates(("id_number", "division_code", "start_date"), "id_number")
        for row in sheet.typed:
            if row["_index"] not in sheet.bad:
                self.planned.append((row, {"id_number": row["id_number"], "name": row["name"],
                                           "village_id": row["division_code"], "position": row["position"],
                                           "start_date": row["start_date"], "end_date": row["end_date"]}))

    def apply(self, rows: set[int]) -> Counts:
        todo = self.todo(rows)
        for _, values in todo:
            values["_hash"] = keyed_hash(values["id_number"])
        existing = {(c.id_number_hash, c.village_id, c.start_date): c for c in in_chunks(
            VillageCadre.objects.all(), "id_number_hash", (v["_hash"] for _, v in todo))}
        items = []
        for _, values in todo:
            key = (values.pop("_hash"), values["village_id"], values["start_date"])
            items.append((key, values))
        return self.upsert(existing, items)


IMPORTERS: dict[str, type[Importer]] = {cls.kind: cls for cls in (
    Projects, Beneficiaries, Funds, Allocations, Expenditures, Payments, Cadres)}

# The loan and asset files (their importers need the base class above).
from sunshine.funds.transfer.credit_kinds import CREDIT_IMPORTERS  # noqa: E402

IMPORTERS.update(CREDIT_IMPORTERS)
