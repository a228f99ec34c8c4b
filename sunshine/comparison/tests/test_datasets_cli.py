"""`sunshine dataset load | list | hash-key`: exit codes 0, 2 and 1, the --errors report, the listing, how a
department computes id_hash (the same hash as idhash.id_hash), the key shown only to administrators."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sunshine.comparison.datasets import samples as s
from sunshine.comparison.models import DatasetLoad
from sunshine.core.choices import AccessAction
from sunshine.core.ids import mask_id_number
from sunshine.core.models import AccessLog
from sunshine.engine.comparison.idhash import id_hash, key_fingerprint
from sunshine.testing.factories import new_id

pytestmark = pytest.mark.django_db
KEY = "cli-test-key"
HEADERS = ["身份证号", "姓名", "参保年度", "参保状态"]


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.SUNSHINE_ID_HASH_KEY = KEY
    return settings.DATA_DIR


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("dataset", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def good(tmp_path):
    rows = [[new_id(), "张三", 2020, "参保"], [new_id(male=False), "李四", 2020, "停保"],
            ["1234", "王五", 2020, "参保"]]
    return s.write_csv(tmp_path / "mi.csv", HEADERS, rows)


@pytest.fixture
def bad(tmp_path):
    full = new_id()
    rows = [[full, "张三", 2020, "参保"], [new_id(), "李四", 2020, "在保"], [new_id(), "", 2020, "停保"]]
    return s.write_csv(tmp_path / "bad.csv", HEADERS, rows), full


def test_load_prints_counts_and_list_shows_the_load(users, good):
    code, out, err = run("load", "medical_insurance", str(good), "--as-of", "2020-12-31", "--user", "analyst",
                         "--no-progress")
    assert code == 0, err
    assert out.strip() == "医保参保(medical_insurance)第 1 版:导入 3 行,其中身份证号缺失或无效 1 行"
    load = DatasetLoad.objects.get()
    assert (load.loaded_by.username, load.as_of, load.file_name) == ("analyst", dt.date(2020, 12, 31), "mi.csv")
    code, out, _ = run("load", "医保参保", str(good), "--user", "analyst", "--no-progress")  # by its Chinese name
    assert code == 0 and "第 2 版" in out
    code, out, _ = run("list")
    lines = out.strip().splitlines()
    assert lines[0].split("\t") == ["数据集", "版本", "行数", "身份证号缺失或无效", "截止日期", "导入时间", "导入人"]
    assert [line.split("\t")[:5] for line in lines[1:]] == [["medical_insurance", "v2", "3", "1", ""],
                                                           ["medical_insurance", "v1", "3", "1", "2020-12-31"]]
    assert lines[1].split("\t")[6] == "analyst"
    assert run("list", "deaths")[1].strip().count("\n") == 0


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_errors_exit_2_with_a_report_and_nothing_loaded(users, bad, tmp_path, suffix, data_dir):
    path, _ = bad
    report = tmp_path / f"errors{suffix}"
    code, out, err = run("load", "medical_insurance", str(path), "--errors", str(report), "--no-progress")
    assert code == 2 and out == ""
    assert f"发现 2 处错误(2 行),未导入任何数据;错误报告已写入 {report}" in err
    assert "bad.csv 第3行 参保状态: 不是允许的值,应为以下之一:参保、停保(值:在保)" in err
    assert not DatasetLoad.objects.exists() and not list((data_dir / "datasets").rglob("*.parquet"))
    if suffix == ".csv":
        rows = list(csv.reader(report.open(encoding="utf-8-sig")))
    else:
        rows = [[("" if v is None else str(v)) for v in r] for r in openpyxl.load_workbook(report).active.iter_rows(
            values_only=True)]
    assert rows[0] == ["文件", "工作表", "行", "列", "值", "说明"]
    assert rows[1] == ["bad.csv", "", "3", "参保状态", "在保", "不是允许的值,应为以下之一:参保、停保"]
    assert rows[2] == ["bad.csv", "", "4", "姓名", "", "必填,不能为空"]


def test_partial_loads_good_rows_and_still_exits_2(users, bad):
    path, full = bad
    code, out, err = run("load", "medical_insurance", str(path), "--partial", "--no-progress")
    assert code == 2 and "第 1 版:导入 1 行" in out and "已导入无错误的 1 行" in err
    load = DatasetLoad.objects.get()
    assert (load.rows, load.rejected_rows, load.loaded_by.username) == (1, 2, "admin")
    assert full not in out + err


def test_other_errors_exit_1(users, good, tmp_path):
    with pytest.raises(CommandError, match="未知的数据集“pets”"):
        run("load", "pets", str(good))
    with pytest.raises(CommandError, match="--as-of"):
        run("load", "deaths", str(good), "--as-of", "31/12/2020")
    with pytest.raises(CommandError, match="不能导入部门数据"):
        run("load", "medical_insurance", str(good), "--user", "clerk_a", "--no-progress")
    with pytest.raises(CommandError, match=".csv 或 .xlsx"):
        run("load", "medical_insurance", str(good), "--errors", str(tmp_path / "e.txt"))
    code, _, err = run("load", "medical_insurance", str(tmp_path / "missing.csv"), "--no-progress")
    assert code == 2 and "文件不存在" in err
    assert not DatasetLoad.objects.exists()


def test_hash_key_explains_and_hashes_like_the_engine(users):
    number = new_id()
    code, out, _ = run("hash-key", "--id", number)
    assert code == 0
    assert "HMAC-SHA256" in out and "64位小写十六进制" in out and "hmac.new(KEY" in out
    assert key_fingerprint(KEY) in out and KEY not in out
    assert f"{mask_id_number(number)} 的身份证号哈希:{id_hash(number, KEY)}" in out and number not in out
    fifteen = number[:6] + number[8:17]
    assert id_hash(number, KEY) in run("hash-key", "--id", fifteen)[1]
    with pytest.raises(CommandError, match="身份证号无效"):
        run("hash-key", "--id", "123")


def test_only_administrators_see_the_key(users):
    with pytest.raises(CommandError, match="只有系统管理员"):
        run("hash-key", "--reveal", "--user", "analyst")
    code, out, _ = run("hash-key", "--reveal", "--user", "admin")
    assert code == 0 and f"密钥(请通过安全渠道交给部门):{KEY}" in out
    log = AccessLog.objects.get()
    assert (log.user, log.action, log.object_type) == (users["admin"], AccessAction.VIEW_FULL, "id_hash_key")
