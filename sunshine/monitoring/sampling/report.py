"""The estimates of a draw from its visited units (one grouped query), as a JSON-ready dict:
the share of registered households whose data is wrong, and the share of exited households wrongly exited
(a domain estimate over the strata of status 已脱贫). The formulas and choices are in ``estimate``."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from sunshine.monitoring.models import SampleDraw
from sunshine.monitoring.sampling.draw import stratum_parts
from sunshine.monitoring.sampling.estimate import CONFIDENCE, StratumCount, stratified_share
from sunshine.registry.choices import HouseholdStatus

METHOD_LABELS = {"normal": "正态近似", "wilson": "Wilson 区间(样本结论一致)", "census": "全数核查",
                 "none": "尚无走访结果"}


def stratum_rows(draw: SampleDraw) -> list[dict[str, Any]]:
    """Per stratum: population, drawn, visited, found wrong; exited strata also wrongly exited."""
    visited = Q(data_correct__isnull=False)
    counts = {
        row["stratum"]: row for row in draw.units.values("stratum").annotate(
            drawn=Count("id"), visited=Count("id", filter=visited),
            wrong=Count("id", filter=Q(data_correct=False)),
            exited_visited=Count("id", filter=Q(wrongly_exited__isnull=False)),
            wrongly=Count("id", filter=Q(wrongly_exited=True)),
        ).order_by()
    }
    rows = []
    for stratum, info in sorted(draw.strata.items()):
        county, status = stratum_parts(stratum)
        got = counts.get(stratum, {})
        rows.append({"stratum": stratum, "county": county, "status": status,
                     "population": int(info.get("population", 0)), "sample": got.get("drawn", 0),
                     "visited": got.get("visited", 0), "data_wrong": got.get("wrong", 0),
                     "exited_visited": got.get("exited_visited", 0), "wrongly_exited": got.get("wrongly", 0),
                     **{k: info[k] for k in ("kept", "replaced", "added") if k in info}})
    return rows


def estimate(draw: SampleDraw, confidence: float = CONFIDENCE) -> dict[str, Any]:
    rows = stratum_rows(draw)
    wrong = stratified_share(
        [StratumCount(r["stratum"], r["population"], r["visited"], r["data_wrong"]) for r in rows], confidence)
    exited = stratified_share(
        [StratumCount(r["stratum"], r["population"], r["exited_visited"], r["wrongly_exited"])
         for r in rows if r["status"] == HouseholdStatus.EXITED], confidence)
    return {
        "draw": draw.pk, "kind": draw.kind, "year": draw.year, "division": draw.division_id, "seed": draw.seed,
        "panel": draw.panel_id, "confidence": confidence,
        "sampled": sum(r["sample"] for r in rows), "visited": sum(r["visited"] for r in rows),
        "strata": rows, "data_wrong": wrong.to_dict(), "wrongly_exited": exited.to_dict(),
    }
