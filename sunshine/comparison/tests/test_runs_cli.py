"""`sunshine compare`: the --out files (keys, masking, Chinese headers), --unmasked and the access log,
--no-store, and --engine spark giving what DuckDB gives."""

from __future__ import annotations

import csv
import json

import pytest
from django.core.management import CommandError, call_command

from sunshine.comparison.models import ComparisonRun, Finding
from sunshine.comparison.tests import test_runs as base
from sunshine.core.choices import AccessAction
from sunshine.core.models import AccessLog

OUTSIDER, RULES = base.OUTSIDER, base.RULES
data_dir, world = base.data_dir, base.world  # the fixtures (data_dir is autouse there, so here too)

KEYS = ["rule", "severity", "year", "household_no", "id_number", "dataset", "match", "probability", "explanation"]


def compare(*args: str) -> None:
    call_command("compare", "--year", "2020", "--no-progress", *args)


def test_json_out_has_the_dictionary_keys_and_masked_ids(users, world, tmp_path):
    out = tmp_path / "findings.json"
    compare("--rules", ",".join(RULES), "--user", "analyst", "--out", str(out))
    records = json.loads(out.read_text(encoding="utf-8"))
    assert len(records) == 4 and all(list(r) == KEYS for r in records)
    dead = next(r for r in records if r["rule"] == "C-DEAD")
    full = world["dead"].id_number
    assert dead["id_number"] == full[:6] + "********" + full[14:]
    assert dead["household_no"] == world["a"].household.household_no
    assert dead | {"id_number": None, "explanation": None} == {
        "rule": "C-DEAD", "severity": "high", "year": 2020, "household_no": world["a"].household.household_no,
        "id_number": None, "dataset": "deaths", "match": "exact", "probability": None, "explanation": None}
    outsider = next(r for r in records if r["rule"] == "C-DIBAO-MISSING")
    assert outsider["household_no"] is None and outsider["id_number"] == OUTSIDER[:6] + "********" + OUTSIDER[14:]
    assert full not in out.read_text(encoding="utf-8")
    assert not any(full in r["explanation"] for r in records)
    run = ComparisonRun.objects.get()
    assert run.created_by == users["analyst"] and Finding.objects.count() == 4
    log = AccessLog.objects.get(action=AccessAction.EXPORT)
    assert log.user == users["analyst"] and log.object_ref == str(run.pk) and "完整身份证号" not in log.detail


def test_unmasked_only_for_roles_that_see_full_ids_and_logged(users, world, tmp_path):
    out = tmp_path / "findings.json"
    with pytest.raises(CommandError, match="不能查看完整身份证号"):
        compare("--rules", "C-DEAD", "--user", "analyst", "--out", str(out), "--unmasked")
    assert not out.exists() and not ComparisonRun.objects.exists()
    compare("--rules", "C-DEAD", "--user", "supervisor", "--out", str(out), "--unmasked")
    assert json.loads(out.read_text(encoding="utf-8"))[0]["id_number"] == world["dead"].id_number
    log = AccessLog.objects.get(action=AccessAction.EXPORT)
    assert log.user == users["supervisor"] and "完整身份证号" in log.detail


def test_no_store_writes_the_file_and_nothing_else(users, world, tmp_path, data_dir):
    out = tmp_path / "findings.csv"
    compare("--rules", ",".join(RULES), "--user", "county", "--out", str(out), "--no-store")
    assert not ComparisonRun.objects.exists() and not Finding.objects.exists()
    assert not any((data_dir / "comparison" / "scratch").iterdir())  # the snapshot went with the run
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["规则", "严重程度", "年度", "户编号", "身份证号", "部门数据", "匹配方式", "匹配概率", "说明"]
    dead = next(r for r in rows if r[0] == "C-DEAD")
    assert dead[1:4] == ["高", "2020", world["a"].household.household_no]
    assert dead[5:8] == ["户籍死亡人员", "身份证号精确匹配", ""] and "*" in dead[4]
    assert AccessLog.objects.filter(action=AccessAction.EXPORT, user=users["county"]).count() == 1


def test_xlsx_out_and_refusals(users, world, tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "findings.xlsx"
    compare("--rules", "C-DEAD,C-CAR", "--user", "county", "--out", str(out))
    sheet = load_workbook(out).active
    assert [cell.value for cell in sheet[1]][:3] == ["规则", "严重程度", "年度"] and sheet.max_row == 3
    with pytest.raises(CommandError, match="不能发起数据比对"):
        compare("--rules", "C-DEAD", "--user", "clerk_a", "--division", "320321000000")
    with pytest.raises(CommandError, match="输出文件应为"):
        compare("--out", str(tmp_path / "x.txt"))
    with pytest.raises(CommandError, match="缺少部门数据"):
        compare("--rules", "C-NOMED", "--user", "county")


def test_spark_engine_gives_the_duckdb_findings(users, world, tmp_path, spark):
    on_duckdb, on_spark = tmp_path / "duckdb.json", tmp_path / "spark.json"
    rules = "C-DEAD,C-DIBAO-MISSING"  # a registry member and a person outside the registry; Spark is slow per rule
    compare("--rules", rules, "--user", "county", "--out", str(on_duckdb))
    compare("--rules", rules, "--user", "county", "--out", str(on_spark), "--engine", "spark")
    records = json.loads(on_spark.read_text(encoding="utf-8"))
    assert len(records) == 2 and records == json.loads(on_duckdb.read_text(encoding="utf-8"))
    spark_run = ComparisonRun.objects.get(engine="spark")
    assert spark_run.counts["new"] == 0 and spark_run.counts["recurring"] == 2
    from pyspark.sql import SparkSession

    assert SparkSession.getActiveSession() is spark  # the test's session was used, not stopped or replaced
