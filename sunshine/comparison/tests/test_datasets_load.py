"""Loads: refused whole or partial, every format to the same Parquet, 15-digit and invalid IDs, hashed files,
versions, the fast readers and their fall-back, the stored schema, the access log."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.conf import settings

from sunshine.comparison.datasets import load_dataset, load_path, store_table
from sunshine.comparison.datasets import samples as s
from sunshine.comparison.datasets.sealing import read_plain
from sunshine.comparison.datasets.sources import open_source
from sunshine.comparison.datasets.spec import DatasetSpec
from sunshine.comparison.models import DatasetLoad
from sunshine.core.models import AccessLog
from sunshine.engine.comparison.datasets import arrow_schema
from sunshine.engine.comparison.idhash import id_hash
from sunshine.testing.factories import new_id

pytestmark = pytest.mark.django_db
KEY = "test-key"

HEADERS = ["身份证号", "姓名", "就诊日期", "医疗总费用", "个人自付", "区划代码"]


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.SUNSHINE_ID_HASH_KEY = KEY
    return settings.DATA_DIR


def claims(n: int = 6) -> list[list[object]]:
    rows: list[list[object]] = []
    for i in range(n):
        rows.append([new_id(dt.date(1950 + i % 60, 1 + i % 12, 1 + i % 28), male=i % 2 == 0), f"测试{i}",
                     dt.date(2020, 1, 1) + dt.timedelta(days=i), Decimal(f"{100 + i}.5"), Decimal(f"{i}.25"),
                     "320321101001"])
    rows[1][0] = "320321195002021235"       # a wrong check digit: invalid, kept
    rows[2][0] = rows[2][0][:6] + rows[2][0][8:17]   # a 15-digit ID: converted
    rows[3][0] = None                       # no ID: kept, counted
    return rows


def stored_files(data_dir) -> list[str]:
    """The loads' files, without what each keeps beside it for incremental comparison (versions.Sidecars)."""
    root = data_dir / "datasets"
    sidecars = (".keys.parquet", ".diff.parquet", ".rows.arrow", ".unlinked.parquet")
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_file() and not p.name.endswith(sidecars)) if root.exists() else []


def test_a_load_keeps_its_keys_rows_and_diff_beside_it(users, tmp_path, data_dir):
    path = s.write_csv(tmp_path / "d.csv", ["身份证号", "姓名", "死亡日期"], [[new_id(), "张三", "2020-01-01"]])
    load_dataset("deaths", path, actor=users["county"])
    more = s.write_csv(tmp_path / "e.csv", ["身份证号", "姓名", "死亡日期"],
                       [[new_id(), "张三", "2020-01-01"], [new_id(), "李四", "2020-02-01"]])
    load_dataset("deaths", more, actor=users["county"])
    root = data_dir / "datasets" / "deaths"
    beside = sorted(p.name for p in root.iterdir() if p.name.endswith((".keys.parquet", ".diff.parquet",
                                                                        ".rows.arrow")))
    assert beside == ["v1.keys.parquet", "v1.rows.arrow", "v2.diff.parquet", "v2.keys.parquet", "v2.rows.arrow"]
    assert pq.read_table(root / "v2.diff.parquet").num_rows == 2   # both rows have other IDs


def test_a_load_keeps_its_rows_without_an_id_beside_it(users, tmp_path, data_dir):
    """What probabilistic matching reads of a load (rows with neither an ID nor a hash) is kept beside it at
    load time and equals the filtered read of the file; kept rows of another content are not used."""
    from sunshine.comparison.runs.snapshot import _unlinked_rows, sha256_file
    from sunshine.engine.comparison.versions import Sidecars
    from sunshine.engine.linkage import unmatched_rows

    path = s.write_csv(tmp_path / "d.csv", ["身份证号", "姓名", "死亡日期"],
                       [[new_id(), "张三", "2020-01-01"], ["", "李四", "2020-02-01"],
                        ["320321195002021235", "王五", "2020-03-01"], ["", "赵六", "2020-04-01"]])
    outcome = load_dataset("deaths", path, actor=users["county"])
    load = outcome.load
    assert load is not None, outcome
    stored = data_dir / load.path
    kept = _unlinked_rows(load, sha256_file(stored))
    read = _unlinked_rows(load)          # no stamp: the file itself, filtered
    assert Sidecars.of(stored).unlinked.is_file() and kept.num_rows == read.num_rows >= 2
    assert unmatched_rows("deaths", kept).equals(unmatched_rows("deaths", read))
    assert sorted(unmatched_rows("deaths", kept).column("name").to_pylist()) == sorted(
        n for n in read.column("name").to_pylist() if n)
    assert _unlinked_rows(load, "another content").equals(read)   # kept for another content: not used


def test_every_format_loads_to_the_same_parquet(users, tmp_path):
    rows = claims()
    paths = {
        "utf8-bom": s.write_csv(tmp_path / "a.csv", HEADERS, rows),
        "gb18030": s.write_csv(tmp_path / "b.csv", HEADERS, rows, encoding="gb18030"),
        "xlsx": s.write_xlsx(tmp_path / "c.xlsx", HEADERS, rows, sheet="医保结算", title="某县医保结算数据"),
        "parquet": s.write_parquet(tmp_path / "d.parquet", HEADERS, rows),
    }
    tables = {}
    for kind, path in paths.items():
        outcome = load_dataset("medical_claims", path, actor=users["county"])
        assert outcome.load is not None and not outcome.errors, (kind, outcome.errors)
        tables[kind] = read_plain(load_path(outcome.load))
    xlsx = tables.pop("xlsx")   # its title row moves every row down by one
    assert xlsx.column("source_row").to_pylist() == list(range(3, 9))
    xlsx = xlsx.set_column(0, xlsx.schema.field(0), pa.array(range(2, 8), pa.int64()))
    for kind, table in tables.items():
        assert table.equals(xlsx), kind
    assert xlsx.schema == arrow_schema("medical_claims")
    assert [load.version for load in DatasetLoad.objects.order_by("version")] == [1, 2, 3, 4]
    assert len({load.file_sha256 for load in DatasetLoad.objects.all()}) == 4


def test_ids_valid_15_digit_invalid_and_missing(users, tmp_path):
    rows = claims()
    fifteen = rows[2][0]
    outcome = load_dataset("medical_claims", s.write_csv(tmp_path / "c.csv", HEADERS, rows), actor=users["county"])
    assert (outcome.rows, outcome.invalid_ids, outcome.rejected_rows) == (6, 2, 0)
    load = outcome.load
    assert (load.rows, load.invalid_ids, load.rejected_rows, load.hashed) == (6, 2, 0, False)
    table = read_plain(load_path(load)).to_pylist()
    converted = table[2]
    assert converted["id_number"] == fifteen[:6] + "19" + fifteen[6:] + converted["id_number"][-1]
    assert len(converted["id_number"]) == 18 and converted["id_raw"] is None
    invalid = table[1]
    # Kept as written; birth date and gender read from its date digits and 17th digit.
    assert (invalid["id_number"], invalid["id_raw"]) == (None, "320321195002021235")
    assert (invalid["birth_date"], invalid["gender"]) == (dt.date(1950, 2, 2), "male")
    assert (table[3]["id_number"], table[3]["id_raw"], table[3]["birth_date"]) == (None, None, None)
    assert table[0]["birth_date"] == dt.date(1950, 1, 1) and table[0]["gender"] == "male"
    assert table[5]["gender"] == "female"


def test_a_file_with_a_bad_row_is_refused_whole(users, tmp_path, data_dir):
    rows = claims(400)
    rows[300][4] = "十元"
    outcome = load_dataset("medical_claims", s.write_csv(tmp_path / "c.csv", HEADERS, rows), actor=users["county"])
    assert outcome.load is None and outcome.rows == 0 and outcome.rejected_rows == 1
    assert [(e.row, e.column, e.value) for e in outcome.errors] == [(302, "个人自付", "十元")]
    assert not DatasetLoad.objects.exists() and stored_files(data_dir) == []
    assert not AccessLog.objects.exists()


def test_partial_loads_the_good_rows_and_counts_the_rest(users, tmp_path, data_dir):
    rows = claims(10)
    rows[4][4] = "十元"
    rows[7][1] = ""
    outcome = load_dataset("medical_claims", s.write_csv(tmp_path / "c.csv", HEADERS, rows), actor=users["county"],
                           partial=True, as_of=dt.date(2020, 12, 31))
    load = outcome.load
    assert (load.rows, load.rejected_rows, load.invalid_ids, load.as_of) == (8, 2, 2, dt.date(2020, 12, 31))
    assert [e.row for e in outcome.errors] == [6, 9]
    assert read_plain(load_path(load)).column("source_row").to_pylist() == [2, 3, 4, 5, 7, 8, 10, 11]
    assert stored_files(data_dir) == ["medical_claims/v1.parquet"]
    log = AccessLog.objects.get()
    assert (log.user, log.object_type, log.object_ref) == (users["county"], "dataset_load", "医保结算 v1")


def test_versions_count_up_per_dataset(users, tmp_path, data_dir):
    path = s.write_csv(tmp_path / "c.csv", HEADERS, claims())
    deaths = s.write_csv(tmp_path / "d.csv", ["身份证号", "姓名", "死亡日期"], [[new_id(), "张三", "2020-01-01"]])
    versions = [load_dataset("medical_claims", path, actor=users["admin"]).load.version for _ in range(3)]
    assert versions == [1, 2, 3]
    assert load_dataset("deaths", deaths, actor=users["analyst"]).load.version == 1
    assert stored_files(data_dir) == ["deaths/v1.parquet", "medical_claims/v1.parquet", "medical_claims/v2.parquet",
                                      "medical_claims/v3.parquet"]
    assert DatasetLoad.objects.get(dataset="deaths").path == "datasets/deaths/v1.parquet"


def test_hashed_file_loads_with_hashes(users, tmp_path):
    ids = [new_id(), new_id(male=False), new_id()]
    hashes = [id_hash(i, KEY) for i in ids]
    rows = [[hashes[0], "张三", "低保", hashes[1].upper(), "2020-01-01", "男"],
            [hashes[1], "李四", "特困", "", "2020-02-01", ""],
            ["", "王五", "低保", hashes[0], "2020-03-01", ""]]
    headers = ["身份证号哈希", "姓名", "救助类型", "户主身份证号哈希", "起始日期", "性别"]
    outcome = load_dataset("dibao", s.write_csv(tmp_path / "h.csv", headers, rows), actor=users["county"])
    load = outcome.load
    assert load.hashed and (load.rows, load.invalid_ids) == (3, 1)
    table = read_plain(load_path(load)).to_pylist()
    assert [r["id_hash"] for r in table] == [hashes[0], hashes[1], None]
    assert [r["head_id_hash"] for r in table] == [hashes[1], None, hashes[0]]
    assert {r["id_number"] for r in table} == {None} and {r["head_id_number"] for r in table} == {None}
    assert [r["gender"] for r in table] == ["male", None, None] and {r["birth_date"] for r in table} == {None}


def test_ids_excel_turned_into_numbers_are_kept_invalid_with_a_warning(users, tmp_path):
    rows = [[new_id(), "张三", "2020-01-01"], ["3.20321197005171E+17", "李四", "2020-01-01"]]
    outcome = load_dataset("deaths", s.write_csv(tmp_path / "d.csv", ["身份证号", "姓名", "死亡日期"], rows),
                           actor=users["county"])
    assert outcome.invalid_ids == 1 and outcome.warnings == [
        "d.csv: 1 行的身份证号被保存为数值,后几位已丢失(按无效身份证号导入);请将该列设为文本格式后重新导出"]
    assert read_plain(load_path(outcome.load)).column("id_raw").to_pylist() == [None, "3.20321197005171E+17"]


def test_invalid_head_id_is_left_empty_with_a_warning(users, tmp_path):
    head = new_id()
    rows = [[new_id(), "张三", "低保", head, "2020-01-01"], [new_id(), "李四", "低保", "12345", "2020-01-01"]]
    headers = ["身份证号", "姓名", "救助类型", "户主身份证号", "起始日期"]
    outcome = load_dataset("dibao", s.write_csv(tmp_path / "d.csv", headers, rows), actor=users["county"])
    assert read_plain(load_path(outcome.load)).column("head_id_number").to_pylist() == [head, None]
    assert outcome.warnings == ["d.csv: 户主身份证号无效的 1 行,该列已留空"] and outcome.invalid_ids == 0


def test_csv_and_parquet_take_the_fast_path_and_odd_csv_falls_back(users, tmp_path, caplog):
    rows = claims()
    spec = DatasetSpec.of("medical_claims")
    assert open_source(s.write_csv(tmp_path / "a.csv", HEADERS, rows), spec, "a.csv").fast
    assert open_source(s.write_parquet(tmp_path / "a.parquet", HEADERS, rows), spec, "a.parquet").fast
    assert not open_source(s.write_xlsx(tmp_path / "a.xlsx", HEADERS, rows), spec, "a.xlsx").fast
    # A line break inside a quoted cell and a row longer than the header: pyarrow cannot read them the same way.
    odd = tmp_path / "odd.csv"
    odd.write_text(f'身份证号,姓名,就诊日期,个人自付\n{rows[0][0]},"张\n三",2020-01-01,1\n'
                   f"{rows[4][0]},李四,2020-01-02,2,,\n{rows[5][0]},,2020-01-03,3\n", encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="sunshine.comparison.datasets.loader"):
        outcome = load_dataset("medical_claims", odd, actor=users["county"], partial=True)
    assert "read again ({'fast': False})" in caplog.text
    assert [(e.row, e.column) for e in outcome.errors] == [(4, "姓名")]
    assert read_plain(load_path(outcome.load)).column("name").to_pylist() == ["张\n三", "李四"]


def test_gb18030_detected_beyond_the_first_megabytes(users, tmp_path, monkeypatch, caplog):
    from sunshine.comparison.datasets import sources

    rows = claims(14)
    for i in range(12):   # beyond the rows read to find the header: pyarrow meets the first Chinese name
        rows[i][1] = f"Name {i}"
    path = s.write_csv(tmp_path / "g.csv", ["id_number", "name", "visit_date", "total_cost", "self_paid"],
                       [r[:5] for r in rows], encoding="gb18030")
    content = path.read_bytes()
    first_chinese = next(i for i, b in enumerate(content) if b >= 0x80)
    assert first_chinese > 600   # after the header and twelve rows
    monkeypatch.setattr(sources, "SNIFF_BYTES", first_chinese)   # the sniffed start is ASCII, the rest is not
    with caplog.at_level(logging.INFO, logger="sunshine.comparison.datasets.loader"):
        outcome = load_dataset("medical_claims", path, actor=users["county"])
    assert "read again ({'encoding': 'gb18030'})" in caplog.text and "'fast': False" not in caplog.text
    assert read_plain(load_path(outcome.load)).column("name").to_pylist()[11:] == ["Name 11", "测试12", "测试13"]


def test_a_file_left_by_a_dead_load_is_replaced(users, tmp_path, data_dir):
    orphan = data_dir / "datasets" / "deaths" / "v1.parquet"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"left over")
    path = s.write_csv(tmp_path / "d.csv", ["身份证号", "姓名", "死亡日期"], [[new_id(), "张三", "2020-01-01"]])
    load = load_dataset("deaths", path, actor=users["county"]).load
    assert load.version == 1 and load.path == "datasets/deaths/v1.parquet"
    assert pq.read_table(orphan).num_rows == 1 and stored_files(data_dir) == ["deaths/v1.parquet"]


def test_store_table_for_generated_data(users):
    table = pa.table({"source_row": [2, 3], "id_number": [new_id(), None], "name": ["张三", "李四"],
                      "death_date": [dt.date(2020, 1, 1), dt.date(2020, 2, 1)]})
    full = pa.table({f.name: table.column(f.name) if f.name in table.column_names else pa.nulls(2, f.type)
                     for f in arrow_schema("deaths")})
    load = store_table("deaths", full, actor=users["admin"], as_of=dt.date(2020, 12, 31))
    assert (load.version, load.rows, load.invalid_ids, load.file_name) == (1, 2, 1, "deaths.parquet")
    stored = read_plain(load_path(load))
    # The exact load gets the keyed hash of its valid IDs beside the (encrypted) numbers.
    key = settings.SUNSHINE_ID_HASH_KEY
    assert stored.column("id_hash").to_pylist() == [id_hash(table["id_number"][0].as_py(), key), None]
    plain = stored.set_column(2, stored.schema.field(2), pa.nulls(2, pa.string()))
    assert plain.equals(full.cast(arrow_schema("deaths")))


def test_roles_that_may_not_load(users, tmp_path):
    from django.core.exceptions import PermissionDenied

    path = s.write_csv(tmp_path / "c.csv", HEADERS, claims())
    for role in ("clerk", "township", "supervisor"):
        with pytest.raises(PermissionDenied):
            load_dataset("medical_claims", path, actor=users[role])
    assert not DatasetLoad.objects.exists()
