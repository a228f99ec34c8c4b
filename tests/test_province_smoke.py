"""The province pipeline benchmark (benchmarks/province.py, issue 18) at --scale 0.02 as a smoke test.

About 15,000 households over the 95 counties, three years imported through the registry importer, one million
department rows, then the official assessment, the comparison of 16 rules, the monitoring run, the funds check and
the list pages of a provincial analyst and a village clerk: every stage must run to the end on the test database
and what was stored must agree with what was extracted. Its time is the benchmark's to report (printed here, not
asserted: the suite's two passes share two cores). It runs on the PostgreSQL pass, the database the benchmark is
about; the SQLite pass skips it (both passes run at once, and the data generation alone is most of its time)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from django.db import connection

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
STAGES = ["generate", "import 2018", "import 2019", "import 2020", "departments", "snapshot", "assessment",
          "comparison", "monitoring", "funds", "indicators", "pages"]


@pytest.fixture
def province_module():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import province

        yield province
    finally:
        sys.path.remove(str(BENCHMARKS))


@pytest.mark.django_db(transaction=True)  # committed data, as the benchmark runs it (the extraction reads it so)
def test_the_province_pipeline_runs_to_the_end_at_scale_0_02(province_module, capsys):
    if connection.vendor != "postgresql":
        pytest.skip("the province smoke test runs on the PostgreSQL pass")
    from sunshine.comparison.models import Finding
    from sunshine.comparison.selectors import visible_findings
    from sunshine.core.models import User
    from sunshine.monitoring.models import EarlyWarning
    from sunshine.monitoring.selectors import visible_warnings

    said: list[str] = []
    started = time.perf_counter()
    r = province_module.run_pipeline(scale=0.02, page_requests=2, log=said.append)
    seconds = time.perf_counter() - started

    assert [s["stage"] for s in r["stages"]] == STAGES
    assert all(s["seconds"] >= 0 and s["peak_mb"] > 0 for s in r["stages"])
    # Three years imported; the last one is what the runs read.
    assert r["snapshot_households"] > 14_000
    assert r["imported"][2020]["households_created"] == r["snapshot_households"]
    # One stored result per household the engine assesses (registered: in poverty, exited, returned).
    assert r["assessment_results"] == r["assessment_counted"] == r["snapshot_registered"] > 0
    # 1,000,000 department rows at 0.02 (50M at scale 1), all 16 rules run, findings stored.
    assert sum(r["department_rows"].values()) == pytest.approx(1_000_000, rel=0.01)
    assert r["comparison_rules"] == 16
    assert r["findings"] == Finding.objects.count() > 0
    assert r["warnings"] == r["warnings_counted"] == EarlyWarning.objects.count() > 0
    assert r["funds_status"] == "done"
    # Every list page answered, for both readers; the clerk's lists hold their village only.
    pages = {k: v for k, v in r["pages"].items() if isinstance(v, dict)}
    assert len(pages) == 12 and all(p["statuses"] == [200] for p in pages.values())
    clerk = User.objects.get(username="bench_clerk")
    village = r["pages"]["clerk_village"]
    assert clerk.division_id == village
    mine = visible_warnings(clerk)
    assert mine.exists() and not mine.exclude(division_id=village).exists()
    assert not visible_findings(clerk).exclude(division__code__startswith=village).exists()
    assert any("department loads" in line for line in said)
    assert r["indicators"] == "done" and r["indicator_rows"] > 0
    load = "/".join(f"{x:.1f}" for x in r["load_end"])
    with capsys.disabled():
        print(f"\nprovince smoke at scale 0.02: {seconds:.0f} s (load average {load}): " + ", ".join(
            f"{s['stage']} {s['seconds']:.0f} s" for s in r["stages"]))
