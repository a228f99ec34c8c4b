"""One importer per assistance file: ``check`` resolves each typed row's references against the database and
the acting user's scope (adding row errors), ``apply`` writes the good rows.

Re-importing a file changes nothing: a cadre is matched by 干部编号, a pairing by cadre, household and start
date, a visit by cadre, household and date, a work team membership by village, cadre and start date. An import
adds and updates; it never deletes."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models

from sunshine.assistance.models import Cadre, Pairing, Visit, WorkTeam
from sunshine.funds.transfer.kinds import Counts, _same
from sunshine.funds.transfer.resolve import Context, in_chunks
from sunshine.funds.transfer.sheet import Sheet
from sunshine.registry.models import Household

Row = dict[str, Any]
UNKNOWN_CADRE = "干部编号不存在:请先导入帮扶干部"
UNKNOWN_HOUSEHOLD = "户编号不存在或不在您的管辖范围内"
END_BEFORE_START = "结束日期不能早于开始日期"


class Importer:
    kind: ClassVar[str]
    model: ClassVar[type[models.Model]]
    # Fields set when a record is made and never by a later import (who first entered a visit).
    create_only: ClassVar[tuple[str, ...]] = ()

    def __init__(self, sheet: Sheet, ctx: Context) -> None:
        self.sheet, self.ctx = sheet, ctx
        self.planned: list[tuple[Row, tuple[Any, ...], dict[str, Any]]] = []   # row, key, values

    def check(self) -> None:
        self.sheet.duplicates(self.sheet.spec.key, self.sheet.spec.key[-1])
        for row in self.sheet.typed:
            if row["_index"] in self.sheet.bad:
                continue
            planned = self.plan(row)
            if planned is not None and row["_index"] not in self.sheet.bad:
                self.planned.append((row, *planned))

    def plan(self, row: Row) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
        raise NotImplementedError

    def existing(self, keys: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], models.Model]:
        raise NotImplementedError

    def apply(self, rows: set[int]) -> Counts:
        todo = [(key, values) for row, key, values in self.planned if row["_index"] in rows]
        stored = self.existing([key for key, _ in todo])
        counts, new = Counts(), []
        for key, values in todo:
            obj = stored.get(key)
            if obj is None:
                obj = self.model(**values)
                stored[key] = obj
                new.append(obj)
                counts.created += 1
                continue
            changed = {f: v for f, v in values.items()
                       if f not in self.create_only and not _same(getattr(obj, f), v)}
            if not changed:
                counts.unchanged += 1
                continue
            for name, value in changed.items():
                setattr(obj, name, value)
            obj.save()   # save() also recomputes the keyed hash of an encrypted ID number
            counts.updated += 1
        for obj in new:
            obj.save()
        return counts

    # --- references ---

    def end_after_start(self, row: Row) -> bool:
        if row.get("end_date") and row["start_date"] and row["end_date"] < row["start_date"]:
            self.sheet.error_at(row, "end_date", END_BEFORE_START)
            return False
        return True

    def cadres(self) -> dict[str, Cadre]:
        if not hasattr(self, "_cadres"):
            numbers = {r["cadre_no"] for r in self.sheet.typed}
            self._cadres = {c.cadre_no: c for c in in_chunks(Cadre.objects.all(), "cadre_no", numbers)}
        return self._cadres

    def households(self) -> dict[str, Household]:
        """The households the rows name that lie in the acting user's scope (and --county's)."""
        if not hasattr(self, "_households"):
            numbers = {r["household_no"] for r in self.sheet.typed}
            qs = Household.objects.filter(village__code__startswith=self.ctx.prefix)
            self._households = {h.household_no: h for h in in_chunks(qs, "household_no", numbers)}
        return self._households

    def cadre(self, row: Row) -> Cadre | None:
        cadre = self.cadres().get(row["cadre_no"])
        if cadre is None:
            self.sheet.error_at(row, "cadre_no", UNKNOWN_CADRE)
        return cadre

    def household(self, row: Row) -> Household | None:
        household = self.households().get(row["household_no"])
        if household is None:
            self.sheet.error_at(row, "household_no", UNKNOWN_HOUSEHOLD)
        return household


class CadreImporter(Importer):
    kind, model = "cadres", Cadre

    def plan(self, row: Row) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
        code = row["division_code"] or self.ctx.county
        if code is None:
            self.sheet.error_at(row, "division_code", "请填写区划代码,或用 --county 指定干部所属县")
            return None
        problem = self.ctx.division_problem(code)
        if problem:
            self.sheet.error_at(row, "division_code", problem)
            return None
        stored = self.cadres().get(row["cadre_no"])
        if stored is not None and not stored.division_id.startswith(self.ctx.actor.scope_prefix or "\x00"):
            self.sheet.error_at(row, "cadre_no", "该干部编号已属于您管辖范围以外的干部")
            return None
        values = {"cadre_no": row["cadre_no"], "name": row["name"], "id_number": row["id_number"],
                  "phone": row["phone"] or "", "unit": row["unit"] or "", "level": row["level"],
                  "kind": row["kind"], "division_id": code}
        return (row["cadre_no"],), values

    def existing(self, keys: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], models.Model]:
        return {(c.cadre_no,): c for c in in_chunks(Cadre.objects.all(), "cadre_no", [k[0] for k in keys])}


class PairingImporter(Importer):
    kind, model = "pairings", Pairing

    def plan(self, row: Row) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
        cadre, household = self.cadre(row), self.household(row)
        if cadre is None or household is None or not self.end_after_start(row):
            return None
        return ((cadre.pk, household.pk, row["start_date"]),
                {"cadre": cadre, "household": household, "start_date": row["start_date"], "end_date": row["end_date"]})

    def existing(self, keys: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], models.Model]:
        qs = Pairing.objects.filter(household_id__in={k[1] for k in keys})
        return {(p.cadre_id, p.household_id, p.start_date): p for p in qs}


class VisitImporter(Importer):
    kind, model = "visits", Visit
    create_only = ("created_by",)

    def plan(self, row: Row) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
        cadre, household = self.cadre(row), self.household(row)
        if cadre is None or household is None:
            return None
        return ((cadre.pk, household.pk, row["date"]),
                {"cadre": cadre, "household": household, "date": row["date"], "notes": row["notes"] or "",
                 "measures": row["measures"] or "", "created_by": self.ctx.actor})

    def existing(self, keys: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], models.Model]:
        qs = Visit.objects.filter(household_id__in={k[1] for k in keys}).order_by("id")
        found: dict[tuple[Any, ...], models.Model] = {}
        for v in qs:
            found.setdefault((v.cadre_id, v.household_id, v.date), v)
        return found


class WorkTeamImporter(Importer):
    kind, model = "work_teams", WorkTeam

    def plan(self, row: Row) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
        problem = self.ctx.division_problem(row["division_code"])
        if problem:
            self.sheet.error_at(row, "division_code", problem)
            return None
        cadre = self.cadre(row)
        if cadre is None or not self.end_after_start(row):
            return None
        return ((row["division_code"], cadre.pk, row["start_date"]),
                {"village_id": row["division_code"], "cadre": cadre, "role": row["role"],
                 "start_date": row["start_date"], "end_date": row["end_date"]})

    def existing(self, keys: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], models.Model]:
        qs = WorkTeam.objects.filter(village_id__in={k[0] for k in keys})
        return {(t.village_id, t.cadre_id, t.start_date): t for t in qs}


IMPORTERS: dict[str, type[Importer]] = {i.kind: i for i in (CadreImporter, PairingImporter, VisitImporter,
                                                             WorkTeamImporter)}
