"""`sunshine import` and `sunshine export`: exit codes 0 and 2, the --errors report, counts, templates."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sunshine.core.choices import AccessAction
from sunshine.core.models import AccessLog
from sunshine.registry.models import Household, HouseholdYear
from sunshine.registry.transfer.export import export_year

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def files(users, household_a, household_b, tmp_path):
    return export_year(2020, tmp_path / "files", "csv", unmasked=True)


def break_one_id(path: Path) -> None:
    rows = list(csv.reader(path.open(encoding="utf-8-sig")))
    col = rows[0].index("身份证号")
    rows[2][col] = rows[2][col][:-1] + ("1" if rows[2][col][-1] != "1" else "2")
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)


def test_import_success_exits_0_and_prints_counts(users, files):
    code, out, err = run("import", "registry", str(files["households"]), str(files["members"]), "--villages",
                         str(files["villages"]), "--user", "county", "--year", "2020", "--no-progress")
    assert code == 0, err
    assert "未变 2 户" in out and "新增 0 户" in out


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_import_with_errors_exits_2_writes_report_and_nothing_else(users, files, tmp_path, suffix):
    break_one_id(files["members"])
    report = tmp_path / f"errors{suffix}"
    households = Household.objects.count()
    history = HouseholdYear.history.count()
    code, out, err = run("import", "registry", str(files["households"]), str(files["members"]),
                         "--errors", str(report), "--user", "county", "--no-progress")
    assert code == 2
    assert "发现 1 处错误,未写入任何数据" in err and str(report) in err
    assert "members.csv 第3行 身份证号" in err
    assert out == ""
    assert Household.objects.count() == households and HouseholdYear.history.count() == history
    if suffix == ".csv":
        rows = list(csv.reader(report.open(encoding="utf-8-sig")))
    else:
        from python_calamine import CalamineWorkbook

        rows = [[str(int(v)) if isinstance(v, float) else str(v) for v in r]
                for r in CalamineWorkbook.from_path(str(report)).get_sheet_by_index(0).to_python()]
    assert rows[0] == ["文件", "工作表", "行", "列", "值", "说明"]
    assert len(rows) == 2 and rows[1][:4] == ["members.csv", "", "3", "身份证号"]
    assert "********" in rows[1][4]  # ID numbers masked in the report


def test_partial_import_exits_2_but_writes_the_good_households(users, files, household_a, tmp_path):
    rows = list(csv.reader(files["households"].open(encoding="utf-8-sig")))
    wage = rows[0].index("工资性收入")
    for r in rows[1:]:
        r[wage] = "777.00"
    with files["households"].open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)
    break_one_id(files["members"])  # row 3 of members: a member of the first household
    code, out, err = run("import", "registry", str(files["households"]), str(files["members"]), "--partial",
                         "--errors", str(tmp_path / "e.csv"), "--user", "county", "--no-progress")
    assert code == 2
    assert "更新 1 户" in out and "跳过有错误的 1 户" in out
    assert "已导入无错误的农户" in err
    assert HouseholdYear.objects.filter(wage_income="777.00").count() == 1


def test_unreadable_file_exits_2(users, files, tmp_path):
    bad = tmp_path / "households.txt"
    bad.write_text("x")
    code, _, err = run("import", "registry", str(bad), str(files["members"]), "--user", "county", "--no-progress")
    assert code == 2 and "不支持的文件类型" in err


def test_import_refuses_a_role_that_may_not_edit(users, files):
    with pytest.raises(CommandError, match="不能修改"):
        call_command("import", "registry", str(files["households"]), str(files["members"]), "--user",
                     "supervisor", "--no-progress", stdout=io.StringIO(), stderr=io.StringIO())


def test_default_user_is_the_first_administrator(users, files):
    code, out, _ = run("import", "registry", str(files["households"]), str(files["members"]), "--no-progress")
    assert code == 0 and "未变 2 户" in out


def test_import_villages_alone(users, files, tmp_path):
    path = tmp_path / "villages.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows([["区划代码", "年度", "村名", "乡镇名称", "村集体经济收入"],
                                  ["320321101009", "2020", "新村", "", "12000.00"]])
    code, out, err = run("import", "villages", str(path), "--user", "county", "--no-progress")
    assert code == 0, err
    assert "村年度信息写入 1 条" in out


def test_export_year_and_template(users, household_a, tmp_path):
    code, out, _ = run("export", "year", "2020", "--dir", str(tmp_path / "x"), "--format", "parquet",
                       "--division", "320321101001")
    assert code == 0 and (tmp_path / "x" / "households.parquet").is_file()
    assert AccessLog.objects.filter(action=AccessAction.EXPORT, object_type="registry_year").exists()
    code, out, _ = run("export", "template", "members", str(tmp_path / "members.xlsx"))
    assert code == 0 and (tmp_path / "members.xlsx").stat().st_size > 0
    with pytest.raises(CommandError):
        call_command("export", "template", "members", str(tmp_path / "m.txt"), stdout=io.StringIO())


def test_progress_bar_goes_to_stderr(users, files):
    code, out, err = run("import", "registry", str(files["households"]), str(files["members"]), "--user", "county")
    assert code == 0 and "未变 2 户" in out


def test_serve_starts_the_task_worker_only_for_the_database_backend(settings, monkeypatch):
    from sunshine.core.management.commands import serve

    started: list[list[str]] = []
    monkeypatch.setattr(serve.subprocess, "Popen", lambda cmd: started.append(cmd) or "worker")
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    assert serve.start_worker() is None
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    assert serve.start_worker() == "worker"
    assert started == [[sys.executable, "-m", "sunshine.cli", "db_worker", "--no-reload", "--verbosity", "0"]]
