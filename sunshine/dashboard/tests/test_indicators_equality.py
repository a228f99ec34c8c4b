"""The indicators equal what the assessment, comparison and monitoring report for the same data (issue 17): the
key county's shares equal `sunshine assess counties`, the criteria pass counts equal `sunshine assess
households`, findings by rule equal the comparison run's findings, warnings by code equal `sunshine monitor`'s
output. Each app is run the way a user runs it (its command or service); then the indicators are refreshed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from sunshine.comparison.choices import JobStatus
from sunshine.comparison.models import ComparisonRun, FindingOccurrence
from sunshine.comparison.runs import services as comparison
from sunshine.comparison.tests.test_runs import make_load
from sunshine.core.models import Division
from sunshine.dashboard import refresh
from sunshine.dashboard.indicators import params
from sunshine.dashboard.models import IndicatorValue
from sunshine.monitoring.models import MonitoringRun
from sunshine.registry import choices as rc
from sunshine.registry.models import VillageYear
from sunshine.testing import factories as f

YEAR = 2020
pytestmark = pytest.mark.django_db


def _values(code: str, division: str = f.COUNTY) -> dict[str, tuple[Decimal, Decimal | None]]:
    return {r.key: (r.value, r.denominator)
            for r in IndicatorValue.objects.filter(code=code, year=YEAR, division_code=division)}


def _quiet(*args: Any) -> None:
    with open("/dev/null", "w") as sink:
        call_command(*args, stdout=sink)


@pytest.fixture
def registry(users) -> list[Any]:
    """Households meeting and failing §1 in two townships; two weak villages, one meeting 18万."""
    actor = users["county"]
    Division.objects.filter(code=f.COUNTY).update(is_key_county=True)
    VillageYear.objects.create(village_id=f.VILLAGE_A, year=YEAR, weak_village=True,
                               collective_income=Decimal("200000.50"), two_lane_road=True, clinic_ok=True)
    VillageYear.objects.create(village_id=f.VILLAGE_B, year=YEAR, weak_village=True,
                               collective_income=Decimal("90000.00"), two_lane_road=True, clinic_ok=False)
    return [
        f.make_household(actor, village=f.VILLAGE_A, members=3),                        # 5,533: fails H-INC
        f.make_household(actor, village=f.VILLAGE_A, members=1),                        # meets
        f.make_household(actor, village=f.VILLAGE_A2, members=2, water_safe=False),     # fails H-WATER
        f.make_household(actor, village=f.VILLAGE_B, members=2, wage_income=None),      # income missing
        f.make_household(actor, village=f.VILLAGE_B, members=1, status=rc.HouseholdStatus.EXITED,
                         exit_year=YEAR - 1),                                           # meets
    ]


def test_key_county_shares_equal_assess_counties(registry, tmp_path: Path) -> None:
    out = tmp_path / "counties.json"
    _quiet("assess", "counties", "--year", str(YEAR), "--division", f.COUNTY, "--out", str(out))
    (row,) = json.loads(out.read_text(encoding="utf-8"))
    refresh.refresh(year=YEAR, codes=["key_county_household_share", "key_county_village_share"])
    value, denominator = _values("key_county_household_share")[""]
    assert float(value / denominator) == pytest.approx(row["household_share"])
    assert (value, denominator) == (2, 5)
    value, denominator = _values("key_county_village_share")[""]
    assert float(value / denominator) == pytest.approx(row["village_share"])
    assert (value, denominator) == (1, 2)


def test_criteria_pass_counts_equal_assess_households(registry, tmp_path: Path) -> None:
    out = tmp_path / "households.json"
    _quiet("assess", "households", "--year", str(YEAR), "--division", f.COUNTY, "--out", str(out))
    rows = json.loads(out.read_text(encoding="utf-8"))
    passes = Counter(code for r in rows for code, state in r["criteria"].items() if state == "pass")
    refresh.refresh(year=YEAR, codes=["criteria_pass", "households_meeting"])
    stored = _values("criteria_pass")
    assert {code: int(v) for code, (v, _d) in stored.items()} == dict(passes)
    assert {int(d) for _v, d in stored.values()} == {len(rows)}
    assert _values("households_meeting")[""] == (sum(r["result"] == "meets" for r in rows), len(rows))
    # A township's figures hold its own households only.
    in_a = {hy.household.household_no for hy in registry if hy.household.village_id.startswith(f.TOWNSHIP_A[:9])}
    township = _values("criteria_pass", f.TOWNSHIP_A)
    assert township["H-INC"] == (sum(r["criteria"]["H-INC"] == "pass" for r in rows if r["household_no"] in in_a),
                                 len(in_a))


def test_weak_villages_equal_assess_villages(registry, tmp_path: Path) -> None:
    out = tmp_path / "villages.json"
    _quiet("assess", "villages", "--year", str(YEAR), "--division", f.COUNTY, "--out", str(out))
    rows = {r["division_code"]: r for r in json.loads(out.read_text(encoding="utf-8"))}
    refresh.refresh(year=YEAR, codes=["weak_villages_met", "weak_village_income"])
    met = sum(r["criteria"]["V-INC"] == "pass" for r in rows.values())
    assert _values("weak_villages_met")[""] == (met, 2)
    assert _values("weak_village_income", f.VILLAGE_A)[""] == (Decimal("200000.50"), None)
    assert _values("weak_village_income")[""][0] == Decimal(str(rows[f.VILLAGE_A]["collective_income"])) + Decimal(
        str(rows[f.VILLAGE_B]["collective_income"]))


@pytest.fixture
def comparison_world(settings, tmp_path, registry) -> list[Any]:
    settings.DATA_DIR = tmp_path / "data"
    dead = registry[0].members.get(relation=rc.Relation.HEAD).person
    payroll = registry[3].members.exclude(relation=rc.Relation.HEAD).first().person
    make_load("deaths", [
        {"id_number": dead.id_number, "name": dead.name, "death_date": dt.date(YEAR, 5, 1)},
        {"id_number": "320321196502020014", "name": "档外人", "death_date": dt.date(YEAR, 3, 1)},
    ])
    make_load("public_payroll", [{"id_number": payroll.id_number, "name": payroll.name, "employer": "某县财政局"}])
    return registry


def test_findings_equal_the_comparison_run(users, comparison_world) -> None:
    run = comparison.start_run(actor=users["county"], year=YEAR, background=False, rules=["C-DEAD", "C-PAYROLL"])
    assert run.status == JobStatus.DONE, run.message
    raised = Counter(FindingOccurrence.objects.filter(run=run).values_list("finding__rule", flat=True))
    assert raised == {"C-DEAD": 1, "C-PAYROLL": 1}
    refresh.refresh(year=YEAR, codes=["findings_by_rule", "findings_by_state", "findings_overdue"])
    assert {k: int(v) for k, (v, _d) in _values("findings_by_rule").items()} == dict(raised)
    assert {k: int(v) for k, (v, _d) in _values("findings_by_state").items()} == {"pending": sum(raised.values())}
    assert _values("findings_overdue") == {}  # deadlines lie ahead
    assert ComparisonRun.objects.count() == 1


def test_warnings_equal_the_monitoring_output(users, registry, tmp_path: Path, monkeypatch) -> None:
    for village in (f.VILLAGE_A, f.VILLAGE_B):  # exited with 5,533 per capita: under the monitoring line
        f.make_household(users["county"], village=village, members=3, status=rc.HouseholdStatus.EXITED,
                         exit_year=YEAR - 1)
    out = tmp_path / "warnings.json"
    _quiet("monitor", "--year", str(YEAR), "--division", f.COUNTY, "--out", str(out), "--user", "county",
           "--today", "2021-01-10")
    rows = json.loads(out.read_text(encoding="utf-8"))
    run = MonitoringRun.objects.get()
    assert rows, "the registry should raise warnings"
    monkeypatch.setattr(params, "today", lambda: dt.date(2021, 2, 1))  # past the 15-day verification deadline
    refresh.refresh(year=YEAR, codes=["warnings_by_code", "warnings_by_state", "warnings_overdue"])
    by_code = {k: int(v) for k, (v, _d) in _values("warnings_by_code").items()}
    assert by_code == run.counts["by_code"]
    assert by_code == dict(Counter(code for r in rows for code in _codes(r)))
    assert _values("warnings_by_state")["pending"][0] == len(rows) == run.counts["total"]
    assert _values("warnings_overdue")[""][0] == len(rows)


def _codes(row: dict[str, Any]) -> list[str]:
    codes = row.get("codes")
    return codes if isinstance(codes, list) else [c for c in str(codes).replace("、", ",").split(",") if c]
