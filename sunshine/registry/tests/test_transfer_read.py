"""Reading registry files (sunshine.registry.transfer.readers): every format and encoding to the same cells."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sunshine.core.spreadsheet import unquote_cell
from sunshine.registry.tests import transfer_samples as s
from sunshine.registry.transfer import cells
from sunshine.registry.transfer.columns import HOUSEHOLDS, MEMBERS, VILLAGES
from sunshine.registry.transfer.model import TransferFileError
from sunshine.registry.transfer.readers import cell_text, read_table
from sunshine.registry.transfer.validate import validate_registry


def _write(fmt: str, directory, spec, rows):
    path = directory / f"{spec.name}.{fmt.split('-')[0]}"
    if fmt == "csv-utf8":
        return s.write_csv(path, spec, rows)
    if fmt == "csv-bom":
        return s.write_csv(path, spec, rows, encoding="utf-8-sig")
    if fmt == "csv-gb18030":
        return s.write_csv(path, spec, rows, encoding="gb18030")
    if fmt == "xlsx":
        return s.write_xlsx(path, spec, rows)
    return s.write_parquet(path, spec, rows)


FORMATS = ["csv-utf8", "csv-bom", "csv-gb18030", "xlsx", "parquet"]


def test_every_format_and_encoding_parses_to_identical_typed_rows(region, tmp_path):
    hs, ms = s.sample(3)
    ms[1]["change_date"] = "2020-03-01"
    vs = [s.village_row(s.f.VILLAGE_A, "甲一村"), s.village_row("320321101050", "新村")]
    results = {}
    for fmt in FORMATS:
        directory = tmp_path / fmt
        directory.mkdir()
        parsed = validate_registry(
            households=read_table(_write(fmt, directory, HOUSEHOLDS, hs), HOUSEHOLDS),
            members=read_table(_write(fmt, directory, MEMBERS, ms), MEMBERS),
            villages=read_table(_write(fmt, directory, VILLAGES, vs), VILLAGES),
        )
        assert parsed.ok, (fmt, parsed.errors)
        results[fmt] = (parsed.households, parsed.members, parsed.villages)
    reference = results.pop("csv-utf8")
    assert len(reference[1]) == 9
    for fmt, result in results.items():
        assert result == reference, fmt


def test_raw_cells_are_the_same_in_every_format(tmp_path):
    hs, _ = s.sample(2)
    hs[0]["phone"] = None
    cells = {}
    for fmt in FORMATS:
        directory = tmp_path / fmt
        directory.mkdir()
        table = read_table(_write(fmt, directory, HOUSEHOLDS, hs), HOUSEHOLDS)
        cells[fmt] = (table.rows, table.row_numbers, table.fields)
        assert table.sheet == ("户信息" if fmt == "xlsx" else "")
    # Excel has no "12000.00": a number cell reads back as 12000; the typed values are equal (test above).
    money = [c.field for c in HOUSEHOLDS if c.kind == "money"]
    for fmt in FORMATS:
        rows = [{k: v for k, v in row.items() if k not in money} for row in cells[fmt][0]]
        assert rows == [{k: v for k, v in row.items() if k not in money} for row in hs], fmt
        assert cells[fmt][1] == [2, 3]
    assert cells["xlsx"][0][0]["wage_income"] == "12000" and cells["xlsx"][0][0]["business_income"] == "3000.5"


def test_title_rows_blank_rows_and_row_numbers(tmp_path):
    path = tmp_path / "m.csv"
    hs, ms = s.sample(1)
    header = ",".join(c.header for c in MEMBERS)
    lines = ["丰县建档立卡成员信息表,,", "", header]
    for i, row in enumerate(ms):
        lines.append(",".join("" if row.get(c.field) is None else row[c.field] for c in MEMBERS))
        if i == 0:
            lines.append(",,,")  # an empty row inside the data: skipped, but counted
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    table = read_table(path, MEMBERS)
    assert table.header_row == 3
    assert table.row_numbers == [4, 6, 7]
    assert [r["name"] for r in table.rows] == [m["name"] for m in ms]


def test_quoted_newline_counts_as_one_row(tmp_path):
    path = tmp_path / "v.csv"
    path.write_text("区划代码,年度,村名\n320321101001,2020,\"甲\n一村\"\n320321101002,2020,甲二村\n", encoding="utf-8")
    table = read_table(path, VILLAGES)
    assert table.row_numbers == [2, 3] and table.rows[0]["name"] == "甲\n一村"


def test_english_headers_any_case_unknown_and_duplicate_columns(tmp_path):
    path = tmp_path / "v.csv"
    path.write_text("Division_Code,YEAR,name,备注,区划代码\n320321101001,2020,甲一村,x,320321101001\n",
                    encoding="utf-8")
    table = read_table(path, VILLAGES)
    assert table.fields == ["division_code", "year", "name"]
    assert table.headers["division_code"] == "Division_Code"
    assert table.unknown_headers == ["备注"] and table.duplicate_headers == ["区划代码"]


def test_template_style_headers_with_asterisks(tmp_path):
    path = tmp_path / "v.csv"
    path.write_text("\ufeff区划代码*,年度 *,村名\n320321101001,2020,甲一村\n", encoding="utf-8")
    assert read_table(path, VILLAGES).fields == ["division_code", "year", "name"]


def test_excel_numbers_dates_and_the_sheet_by_name(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active.append(["这张表不是数据"])
    ws = book.create_sheet("成员信息")
    ws.append(["户编号", "年度", "姓名", "身份证号", "出生日期", "变动日期"])
    ws.append([1001, 2020.0, "张三", 320321197005170011, dt.datetime(1970, 5, 17), dt.date(2020, 1, 2)])
    ws.append(["1002", "2020", "李四", "32032119700517001X", "1970-05-17", None])
    path = tmp_path / "m.xlsx"
    book.save(path)
    table = read_table(path, MEMBERS, display_name="上传的成员.xlsx")
    assert table.file == "上传的成员.xlsx" and table.sheet == "成员信息"
    first, second = table.rows
    assert first["household_no"] == "1001" and first["year"] == "2020"
    assert first["birth_date"] == "1970-05-17" and first["change_date"] == "2020-01-02"
    assert "E+" in first["id_number"]     # 18 digits as a number: the last ones are lost, and it shows
    assert second["id_number"] == "32032119700517001X"


def test_an_id_stored_as_a_number_is_reported(region, tmp_path):
    hs, ms = s.sample(1)
    path = tmp_path / "members.xlsx"
    s.write_xlsx(path, MEMBERS, ms)
    import openpyxl

    book = openpyxl.load_workbook(path)
    book.active["D3"] = int(ms[1]["id_number"][:17] + "0")   # a spouse ID typed as a number
    book.save(path)
    parsed = validate_registry(households=s.raw(HOUSEHOLDS, hs), members=read_table(path, MEMBERS))
    assert [(e.file, e.sheet, e.row, e.column) for e in parsed.errors] == [("members.xlsx", "成员信息", 3, "身份证号")]
    assert "文本格式" in parsed.errors[0].message


def test_parquet_typed_columns_keep_exact_values(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "m.parquet"
    pq.write_table(pa.table({"household_no": pa.array([1001], pa.int64()), "year": pa.array([2020], pa.int32()),
                             "id_number": pa.array([320321197005170011], pa.int64()),
                             "birth_date": pa.array([dt.date(1970, 5, 17)], pa.date32()),
                             "medical_insured": pa.array([True]), "name": pa.array([" 张三 "])}), path)
    row, = read_table(path, MEMBERS).rows
    assert row == {"household_no": "1001", "year": "2020", "id_number": "320321197005170011",
                   "birth_date": "1970-05-17", "medical_insured": "是", "name": "张三"}


def test_gb18030_detection_with_rare_characters(tmp_path):
    path = tmp_path / "v.csv"
    path.write_bytes("区划代码,年度,村名\n320321101001,2020,𠀋堃喆村\n".encode("gb18030"))
    assert read_table(path, VILLAGES).rows[0]["name"] == "𠀋堃喆村"


@pytest.mark.parametrize(("name", "content", "fragment"), [
    ("a.txt", b"x", "不支持的文件类型"),
    ("a.xlsx", b"not a zip", "无法读取Excel"),
    ("a.parquet", b"not parquet", "Parquet"),
    ("a.csv", "区划代码\n".encode("utf-16"), "UTF-16"),
])
def test_unreadable_files_raise_a_clear_error(tmp_path, name, content, fragment):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(TransferFileError, match=fragment):
        read_table(path, VILLAGES)
    with pytest.raises(TransferFileError, match="不存在"):
        read_table(tmp_path / "missing.csv", VILLAGES)


def test_empty_files_give_no_rows(tmp_path):
    (tmp_path / "e.csv").write_bytes(b"")
    table = read_table(tmp_path / "e.csv", VILLAGES)
    assert table.rows == [] and table.fields == []


@pytest.mark.parametrize(("value", "text"), [
    (None, None), ("  ", None), (" a ", "a"), (True, "是"), (False, "否"), (2020, "2020"), (2020.0, "2020"),
    (1234.5, "1234.5"), (0.1 + 0.2, "0.3"), (1234.5600000000002, "1234.56"), (1e-7, "1e-07"),
    (13800001234.0, "13800001234"),
    (320321197005170011, "3.2032119700517E+17"), (3.2032119700517e17, "3.2032119700517E+17"),
    (dt.datetime(2020, 5, 17), "2020-05-17"), (dt.datetime(2020, 5, 17, 8, 30), "2020-05-17 08:30:00"),
    (dt.date(2020, 5, 17), "2020-05-17"), (float("nan"), "nan"),
])
def test_cell_text(value, text):
    assert cell_text(value) == text


def test_cell_text_exact_integers_for_parquet():
    assert cell_text(320321197005170011, exact_ints=True) == "320321197005170011"


CELL_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(CELL_TEXT, min_size=0, max_size=24), max_size=8),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
def test_random_csv_cells_read_back_and_never_crash_validation(region, tmp_path_factory, rows, encoding):
    path = tmp_path_factory.mktemp("csv") / "members.csv"
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([col.header for col in MEMBERS])
        writer.writerows(rows)
    table = read_table(path, MEMBERS)
    kept = [row for row in rows if any(cell.strip() for cell in row)]   # cells past the headers count too
    assert len(table.rows) == len(kept)
    if encoding != "gb18030":   # GB18030 bytes may also be valid UTF-8: then only "never crashes" holds
        for got, row in zip(table.rows, kept, strict=True):
            # A cell an export made formula-safe ('=…) reads back without its one guarding quote.
            expected = {col.field: (unquote_cell(row[i].strip()) or None) if i < len(row) else None
                        for i, col in enumerate(MEMBERS)}
            assert got == expected
    hs, _ = s.sample(1)
    parsed = validate_registry(households=s.raw(HOUSEHOLDS, hs), members=table)
    assert all(e.file == "members.csv" or e.file == "households.csv" for e in parsed.errors)


def test_cells_are_kept_by_column_and_rows_are_made_once_asked_for(tmp_path):
    rows = [{"household_no": "H1", "year": "2020", "name": "张三"},
            {"household_no": "H2", "year": " 2020 ", "name": ""}]
    table = read_table(s.write_csv(tmp_path / "members.csv", MEMBERS, rows), MEMBERS)
    assert table.column("household_no") == ["H1", "H2"] and table.column("year") == ["2020", "2020"]
    assert table.cell(1, "name") is None and table.cell(0, "name") == "张三"
    assert table.column("year")[0] is table.column("year")[1]     # equal cells: one object
    assert table.row_count == 2 and table.row_numbers == [2, 3] and bool(table)
    made = table.rows
    assert made[0]["household_no"] == "H1" and made[1]["name"] is None and list(made[0]) == table.fields
    assert table.rows is made and table.column("name") == ["张三", None] and table.cell(0, "year") == "2020"
    made.clear()   # the rows are then the only copy: freeing them frees the cells
    assert table.column("name") == []


AMOUNT_TEXT = st.one_of(
    st.from_regex(r"\A-?[0-9０-９]{0,14}(\.[0-9]{0,3})?\Z"),
    st.builds(lambda whole, cents: f"{whole}.{cents:02d}", st.integers(0, 10**13), st.integers(0, 99)))
ID_TEXT = st.one_of(st.from_regex(r"\A[0-9Xxｘ]{14,19}\Z"), st.from_regex(r"\A[0-9]{1,3}(\.[0-9]+)?E\+[0-9]{2}\Z"),
                    st.text(min_size=1, max_size=19))
PLAIN_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)


def _one_by_one(parse, texts: set[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for text in texts:
        try:
            out[text] = (parse(text), type(parse(text)), str(parse(text)))
        except cells.CellError as exc:
            out[text] = str(exc)
    return out


@settings(max_examples=150, deadline=None)
@given(amounts=st.sets(AMOUNT_TEXT, max_size=20), ids=st.sets(ID_TEXT, max_size=20),
       texts=st.sets(PLAIN_TEXT, max_size=20), limit=st.sampled_from([None, 4, 12]))
def test_a_column_typed_at_once_is_typed_as_each_text_alone(amounts, ids, texts, limit):
    """parse_distinct's quick paths (plain amounts, plain ID numbers, texts without control characters) give each
    text the value, type and error that the parser gives it alone."""
    for parse, given_texts in ((cells.parse_money, amounts), (cells.check_id_text, ids),
                               (cells.parser_for(MEMBERS.column("name")), texts), (cells._text(limit), texts)):
        parsed, failed = cells.parse_distinct(parse, set(given_texts))
        got = {t: str(v) if isinstance(v, cells.CellError) else (v, type(v), str(v)) for t, v in parsed.items()}
        assert got == _one_by_one(parse, set(given_texts))
        assert failed == any(isinstance(v, cells.CellError) for v in parsed.values())
