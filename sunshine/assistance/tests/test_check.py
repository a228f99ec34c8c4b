"""`sunshine assistance check`: the R-* rules over the database, stored as a run of kind 'assistance' whose
findings join the verification workflow, owned by the village (household, village) or the cadre's division."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from sunshine.assistance.check.services import run_check
from sunshine.assistance.models import Visit
from sunshine.assistance.tests.helpers import make_cadre, pair, team
from sunshine.comparison.choices import JobStatus, RunKind
from sunshine.comparison.models import Finding
from sunshine.registry.models import VillageYear
from sunshine.testing import factories as f

T = dt.date(2020, 12, 31)


@pytest.fixture
def scene(users, household_a, household_b):
    cadre = make_cadre(division=f.COUNTY)
    pair(cadre, household_b.household)
    Visit.objects.create(cadre=cadre, household=household_b.household, date=T - dt.timedelta(days=90))
    VillageYear.objects.create(village_id=f.VILLAGE_A2, year=2020, weak_village=True)
    VillageYear.objects.create(village_id=f.VILLAGE_B, year=2020, weak_village=True)
    team(cadre, f.VILLAGE_B)
    return {"cadre": cadre, "a": household_a.household, "b": household_b.household}


def test_the_check_is_stored_as_a_run_with_findings_in_the_workflow(users, scene):
    run, table = run_check(actor=users["county"], year=2020, check_date=T, today=T)
    assert run.kind == RunKind.ASSISTANCE and run.status == JobStatus.DONE
    assert run.parameters["assistance_visit_days"] == 90 and run.parameters["check_date"] == "2020-12-31"
    found = {(x.rule, x.key): x for x in Finding.objects.filter(first_run=run)}
    number = scene["a"].household_no
    assert set(found) == {("R-NOCADRE", number), ("R-NOVISIT", number), ("R-NOTEAM", f.VILLAGE_A2)}
    nocadre = found[("R-NOCADRE", number)]
    assert nocadre.household == scene["a"] and nocadre.division_id == f.VILLAGE_A
    assert nocadre.subject == "household" and nocadre.status == "pending"
    assert found[("R-NOTEAM", f.VILLAGE_A2)].division_id == f.VILLAGE_A2
    again, _ = run_check(actor=users["county"], year=2020, check_date=T, today=T)
    assert again.counts["new"] == 0 and again.counts["recurring"] == 3


def test_a_cadre_finding_goes_to_the_cadres_division(users, household_a, household_b):
    cadre = make_cadre(division=f.COUNTY)
    pair(cadre, household_a.household)
    pair(cadre, household_b.household)
    run, _ = run_check(actor=users["county"], year=2020, check_date=T, today=T)
    assert not Finding.objects.filter(first_run=run, rule="R-OVERLOAD").exists()
    from sunshine.policy.models import PolicyStandard

    # A standard is frozen once saved; the test changes the stored parameter the way a new version would.
    for standard in PolicyStandard.objects.all():
        PolicyStandard.objects.filter(pk=standard.pk).update(
            parameters={**standard.parameters, "assistance_max_households": 1})
    run, _ = run_check(actor=users["county"], year=2020, check_date=T, today=T)
    overload = Finding.objects.get(first_run=run, rule="R-OVERLOAD")
    assert overload.key == cadre.cadre_no and overload.division_id == f.COUNTY and overload.subject == "cadre"


def test_a_township_run_sees_only_its_scope(users, scene):
    run, _ = run_check(actor=users["county"], year=2020, division_code=f.TOWNSHIP_B, check_date=T, today=T)
    assert run.counts["total"] == 0


def test_a_village_clerk_may_not_run_the_check(users):
    with pytest.raises(PermissionDenied):
        run_check(actor=users["clerk"], year=2020)


def test_cli_writes_the_keys_of_services_md(users, scene, tmp_path):
    out = tmp_path / "r.json"
    call_command("assistance", "check", "--year", "2020", "--today", "2020-12-31", "--out", str(out),
                 "--user", "county")
    rows = json.loads(out.read_text(encoding="utf-8"))
    assert rows and all(set(r) == {"rule", "year", "subject", "key", "explanation"} for r in rows)
    assert {r["subject"] for r in rows} == {"household", "village"}
    team_row = next(r for r in rows if r["rule"] == "R-NOTEAM")
    assert (team_row["year"], team_row["subject"], team_row["key"]) == (2020, "village", f.VILLAGE_A2)
