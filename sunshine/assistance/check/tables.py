"""The engine's input tables (sunshine.engine.assistance.tables) of one year within a division, read from the
database. Pairings are those of the division's households and of the cadres it manages, so a cadre's load
counts every household paired with them even when a run covers only part of it."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from django.db.models import Q

from sunshine.assessment.choices import Kind
from sunshine.assessment.models import HouseholdAssessment
from sunshine.assistance.models import Cadre, Pairing, Visit, WorkTeam
from sunshine.engine.assistance.tables import TABLES
from sunshine.monitoring.models import Measure
from sunshine.registry.models import HouseholdYear, VillageYear


def _table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=TABLES[name])


def build(year: int, prefix: str) -> dict[str, pa.Table]:
    in_prefix = Q(household__village__code__startswith=prefix)
    households = [
        {"household_no": no, "division_code": village, "status": status, "exit_year": exit_year}
        for no, village, status, exit_year in HouseholdYear.objects.filter(in_prefix, year=year).values_list(
            "household__household_no", "household__village_id", "status", "exit_year")]
    pairing_q = in_prefix | Q(cadre__division__code__startswith=prefix)
    pairings = [{"cadre_no": c, "household_no": h, "start_date": s, "end_date": e}
                for c, h, s, e in Pairing.objects.filter(pairing_q).values_list(
                    "cadre__cadre_no", "household__household_no", "start_date", "end_date")]
    cadre_nos = {p["cadre_no"] for p in pairings}
    cadres = [{"cadre_no": no, "name": name, "division_code": division}
              for no, name, division in Cadre.objects.filter(Q(division__code__startswith=prefix)
                                                             | Q(cadre_no__in=cadre_nos))
              .values_list("cadre_no", "name", "division_id")]
    visits = [{"cadre_no": c, "household_no": h, "date": d}
              for c, h, d in Visit.objects.filter(in_prefix).values_list(
                  "cadre__cadre_no", "household__household_no", "date")]
    villages = [{"division_code": v, "weak_village": weak}
                for v, weak in VillageYear.objects.filter(village__code__startswith=prefix, year=year)
                .values_list("village_id", "weak_village")]
    teams = [{"division_code": v, "cadre_no": c, "role": r, "start_date": s, "end_date": e}
             for v, c, r, s, e in WorkTeam.objects.filter(village__code__startswith=prefix).values_list(
                 "village_id", "cadre__cadre_no", "role", "start_date", "end_date")]
    measures = [{"household_no": h, "year": y, "date": d}
                for h, y, d in Measure.objects.filter(in_prefix, year=year)
                .values_list("household__household_no", "year", "date")]
    assessments = [{"household_no": h, "run_id": r, "official": o, "result": res}
                   for h, r, o, res in HouseholdAssessment.objects.filter(
                       in_prefix, run__year=year, run__kind=Kind.HOUSEHOLDS).values_list(
                       "household__household_no", "run_id", "run__official", "result")]
    return {"households": _table("households", households), "cadres": _table("cadres", cadres),
            "pairings": _table("pairings", pairings), "visits": _table("visits", visits),
            "villages": _table("villages", villages), "work_teams": _table("work_teams", teams),
            "measures": _table("measures", measures), "assessments": _table("assessments", assessments)}
