"""Hardening against hostile or odd input (issue 12): formula injection in exports, oversized xlsx sheets,
error messages that repeat a huge cell, NUL bytes and out-of-range numbers, unique OpenAPI schema names,
the access log of the cases list."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.test import Client

from sunshine.core import spreadsheet
from sunshine.core.choices import AccessAction
from sunshine.core.models import AccessLog, ApiToken
from sunshine.registry.models import Person
from sunshine.registry.transfer.columns import HOUSEHOLDS, MEMBERS
from sunshine.registry.transfer.export import export_year
from sunshine.registry.transfer.model import RowError, TransferFileError
from sunshine.registry.transfer.readers import read_table
from sunshine.registry.transfer.validate import write_errors
from sunshine.testing import factories as f

EVIL = '=HYPERLINK("http://x","y")'
HUGE = "9223372036854775807"
HUGER = "99999999999999999999"


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


# ---- formula injection ---------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [EVIL, "+1+2", "-", "@SUM(A1)", "\tx", "'=x", "''-y", "'quoted", "普通"])
def test_safe_cell_and_unquote_cell_are_inverse(value):
    written = spreadsheet.safe_cell(value)
    assert written[:1] not in "=+-@\t\r"
    assert spreadsheet.unquote_cell(written) == value


@pytest.mark.parametrize("number", ["-12.5", "+8613800000000", "12", "-0.50", "1E+17"])
def test_numbers_are_left_alone(number):
    assert spreadsheet.safe_cell(number) == number
    assert spreadsheet.safe_cell(-12.5) == -12.5 and spreadsheet.safe_cell(None) is None


@pytest.fixture
def evil_household(users):
    return f.make_household(users["county"], village=f.VILLAGE_A, head_name=EVIL, members=2)


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_registry_export_neutralises_formulas_and_round_trips(users, evil_household, tmp_path, fmt):
    paths = export_year(2020, tmp_path / "a", fmt, unmasked=True)
    households = paths["households"]
    if fmt == "csv":
        rows = list(csv.reader(households.open(encoding="utf-8-sig")))
        assert "'" + EVIL in rows[1]
    elif fmt == "xlsx":
        sheet = openpyxl.load_workbook(households, read_only=True).active
        cells = [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))]
        assert "'" + EVIL in cells
        assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    # The readers give the original text back ...
    raw = read_table(households, HOUSEHOLDS)
    assert raw.rows[0]["head_name"] == EVIL
    assert read_table(paths["members"], MEMBERS).rows[0]["name"] == EVIL
    # ... so export → import → export changes nothing.
    code, out, err = run("import", "registry", str(paths["households"]), str(paths["members"]),
                         "--user", "county", "--no-progress")
    assert code == 0, err
    assert "未变 1 户" in out
    assert Person.objects.filter(name=EVIL).count() == 1
    again = export_year(2020, tmp_path / "b", fmt, unmasked=True)
    if fmt != "parquet":   # parquet embeds writer metadata; its cells are compared through the reader above
        assert again["households"].read_bytes() == households.read_bytes()


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_error_report_writes_values_as_text(tmp_path, suffix):
    path = write_errors([RowError("h.csv", "", 2, "户主姓名", EVIL, "=1+1 不是说明")], tmp_path / f"e{suffix}")
    if suffix == ".csv":
        rows = list(csv.reader(path.open(encoding="utf-8-sig")))
        assert rows[1][4] == "'" + EVIL and rows[1][5] == "'=1+1 不是说明"
    else:
        sheet = openpyxl.load_workbook(path).active
        assert sheet["E2"].value == "'" + EVIL and sheet["E2"].data_type == "s"


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_monitoring_run_export_writes_values_as_text(tmp_path, suffix):
    from sunshine.monitoring.runs.export import write

    record = {"household_no": "-H1", "year": 2020, "codes": [], "score": -1.5, "explanation": EVIL}
    path = tmp_path / f"m{suffix}"
    write([record], path)
    if suffix == ".csv":
        assert list(csv.reader(path.open(encoding="utf-8-sig")))[1] == ["'-H1", "2020", "", "-1.5", "'" + EVIL]
    else:
        sheet = openpyxl.load_workbook(path).active
        assert [c.value for c in sheet[2]] == ["'-H1", 2020, None, -1.5, "'" + EVIL]


@pytest.mark.django_db
def test_sample_check_export_writes_values_as_text(users, monkeypatch):
    from sunshine.monitoring.sampling import export

    # The rows come from the draw's units (tested in monitoring); the writer is what is tested here.
    row = ["H1", "村", "320000", "已脱贫", 1.5, EVIL, "3203********", "", "", "", "-走访", "张三"]
    monkeypatch.setattr(export, "rows", lambda reader, draw, units: iter([list(row)]))
    monkeypatch.setattr(export.selectors, "units", lambda reader, draw: [])
    draw = type("Draw", (), {"year": 2020})()
    data, _ = export.render(users["county"], draw, "csv")
    line = data.decode("utf-8-sig").splitlines()[1]
    assert "'" + EVIL.replace('"', '""') in line and ",'-走访," in line and ",1.5," in line
    data, _ = export.render(users["county"], draw, "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet["F2"].value == "'" + EVIL and sheet["F2"].data_type == "s" and sheet["E2"].value == 1.5


@pytest.mark.django_db
def test_department_files_round_trip_a_formula_like_name(users, tmp_path, settings):
    """Sample department files are written with the guard; every format (pyarrow's fast CSV path, the
    registry's xlsx reader, Parquet) loads the original text."""
    import datetime as dt

    import pyarrow.parquet as pq

    from sunshine.comparison.datasets import load_dataset, load_path
    from sunshine.comparison.datasets import samples as s

    settings.DATA_DIR = tmp_path / "data"
    settings.SUNSHINE_ID_HASH_KEY = "test-key"
    headers = ["身份证号", "姓名", "就诊日期", "医疗总费用", "个人自付", "区划代码"]
    rows = [[f.new_id(dt.date(1960, 1, 1)), EVIL, dt.date(2020, 1, 2), 100, 1, "320321101001"],
            [f.new_id(dt.date(1961, 1, 1)), "-", dt.date(2020, 1, 3), -12.5, 0, "320321101001"]]
    paths = [s.write_csv(tmp_path / "a.csv", headers, rows), s.write_xlsx(tmp_path / "b.xlsx", headers, rows),
             s.write_parquet(tmp_path / "c.parquet", headers, rows)]
    assert "'" + EVIL.replace('"', '""') in paths[0].read_text(encoding="utf-8-sig")
    for path in paths:
        outcome = load_dataset("medical_claims", path, actor=users["county"])
        assert outcome.load is not None and not outcome.errors, (path, outcome.errors)
        table = pq.read_table(load_path(outcome.load))
        assert table.column("name").to_pylist() == [EVIL, "-"], path


# ---- oversized sheets ------------------------------------------------------------------------------------

CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/'
                 '2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
                 'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
                 'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                 'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
                 '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
ROOT_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
             'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
             'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
            'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships"><sheets><sheet name="户信息" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                 'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                 'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')


def crafted_xlsx(path: Path, rows: str, dimension: str | None = None, sheet: str | None = None) -> Path:
    """A minimal workbook whose only sheet has the given <sheetData> content (or is ``sheet`` whole)."""
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    sheet = sheet or ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             f'spreadsheetml/2006/main">{dim}<sheetData>{rows}</sheetData></worksheet>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for name, body in (("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", ROOT_RELS),
                           ("xl/workbook.xml", WORKBOOK), ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
                           ("xl/worksheets/sheet1.xml", sheet)):
            book.writestr(name, body)
    return path


def cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


BOMB_ROWS = f'<row r="1">{cell("A1", "户编号")}</row><row r="1048576">{cell("XFD1048576", "x")}</row>'


@pytest.fixture
def bomb(tmp_path) -> Path:
    path = crafted_xlsx(tmp_path / "bomb.xlsx", BOMB_ROWS, dimension="A1:B2")  # the dimension lies
    assert path.stat().st_size < 2048
    return path


def test_bomb_is_refused_before_calamine_reads_it(bomb):
    with pytest.raises(TransferFileError, match=r"数据范围过大.*XFD1048576.*最多允许 200 列"):
        read_table(bomb, HOUSEHOLDS)


@pytest.mark.parametrize("rows, refused", [
    (f'<row r="1">{cell("GR1", "x")}</row>', False),                    # column 200: allowed
    (f'<row r="1">{cell("GS1", "x")}</row>', True),                     # column 201
    ('<row r="1"><c r="XFD1" s="1"/></row>', False),                    # formatted but empty: costs nothing
    (f'<row r="2000000">{cell("A2000000", "x")}</row>', True),          # beyond the row limit
    ('<row>' + '<c t="inlineStr"><is><t>x</t></is></c>' * 201 + '</row>', True),  # cells without references
    ('<x:row r="1"><x:c r="AAA1" t="inlineStr"><x:is><x:t>x</x:t></x:is></x:c></x:row>', True),
])
def test_sheet_extent(tmp_path, rows, refused):
    path = crafted_xlsx(tmp_path / "s.xlsx", rows)
    if refused:
        with pytest.raises(spreadsheet.SheetTooLarge):
            spreadsheet.check_xlsx_size(path, "s.xlsx")
    else:
        spreadsheet.check_xlsx_size(path, "s.xlsx")


def test_prefixed_sheet_with_cells_without_references_is_walked_exactly(tmp_path):
    body = ('<?xml version="1.0" encoding="UTF-8"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/'
            'spreadsheetml/2006/main"><x:sheetData><x:row>' + '<x:c t="inlineStr"><x:is><x:t>v</x:t></x:is></x:c>'
            * 201 + "</x:row></x:sheetData></x:worksheet>")
    path = crafted_xlsx(tmp_path / "p.xlsx", "", sheet=body)
    with pytest.raises(spreadsheet.SheetTooLarge, match="GS1"):
        spreadsheet.check_xlsx_size(path, "p.xlsx")


def test_row_limit_is_configurable(tmp_path, settings):
    settings.SUNSHINE_XLSX_MAX_ROWS = 10
    path = crafted_xlsx(tmp_path / "s.xlsx", f'<row r="11">{cell("A11", "x")}</row>')
    with pytest.raises(spreadsheet.SheetTooLarge, match="10 行"):
        spreadsheet.check_xlsx_size(path, "s.xlsx")


@pytest.mark.django_db
def test_cli_import_of_a_bomb_exits_2_with_the_message(users, bomb, tmp_path):
    members = tmp_path / "members.csv"
    members.write_text("户编号,年度,姓名,身份证号,与户主关系\n", encoding="utf-8")
    code, _, err = run("import", "registry", str(bomb), str(members), "--user", "county", "--no-progress")
    assert code == 2 and "数据范围过大" in err


@pytest.mark.django_db
def test_dataset_load_of_a_bomb_fails_with_the_message(users, bomb):
    code, _, err = run("dataset", "load", "deaths", str(bomb), "--as-of", "2020-12-31",
                       "--user", "county")
    assert code != 0 and "数据范围过大" in err


@pytest.mark.django_db
def test_web_upload_of_a_bomb_fails_the_job_with_the_message(client: Client, users, bomb, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from sunshine.registry.models import ImportJob

    settings.DATA_DIR = tmp_path / "data"
    client.force_login(users["clerk"])
    response = client.post("/transfer/", {
        "households": SimpleUploadedFile("h.xlsx", bomb.read_bytes()),
        "members": SimpleUploadedFile("m.csv", "户编号,年度,姓名,身份证号,与户主关系\n".encode()),
    })
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED and "数据范围过大" in job.message


# ---- long values and NUL in import files -------------------------------------------------------------------

def test_row_error_shows_the_start_of_a_huge_value():
    error = RowError("h.xlsx", "户信息", 2, "户主姓名", "名" * 1_000_000, "不能超过40个字符")
    assert error.value.startswith("名" * 80) and error.value.endswith("…(共1000000字符)")
    assert len(error.value) < 120


@pytest.mark.django_db
def test_cli_import_with_a_1mb_cell_prints_a_short_message(users, household_a, tmp_path):
    from sunshine.registry.transfer.xlsxstream import SheetWriter

    paths = export_year(2020, tmp_path / "x", "csv", unmasked=True)
    header, *rows = list(csv.reader(paths["households"].open(encoding="utf-8-sig")))
    rows[0][header.index("户主姓名")] = "长" * 1_000_000  # Excel stops at 32,767; a crafted file does not
    paths["households"] = tmp_path / "households.xlsx"
    with SheetWriter(paths["households"], "户信息", header) as sheet:
        sheet.write(rows)
    report = tmp_path / "errors.csv"
    code, _, err = run("import", "registry", str(paths["households"]), str(paths["members"]), "--user", "county",
                       "--errors", str(report), "--no-progress")
    assert code == 2
    assert len(err) < 5000 and "…(共1000000字符)" in err
    assert report.stat().st_size < 5000


def test_a_csv_cell_beyond_the_field_limit_is_a_chinese_file_error(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("户编号,户主姓名\nH1," + "长" * 1_000_000 + "\n", encoding="utf-8")
    with pytest.raises(TransferFileError, match="单元格内容过长") as caught:
        read_table(path, HOUSEHOLDS)
    assert len(str(caught.value)) < 200


@pytest.mark.django_db
def test_nul_in_an_import_file_is_a_row_error(users, household_a, tmp_path):
    paths = export_year(2020, tmp_path / "x", "csv", unmasked=True)
    text = paths["households"].read_text(encoding="utf-8-sig")
    paths["households"].write_text(text.replace("甲户主", "甲\x00户主"), encoding="utf-8-sig")
    report = tmp_path / "errors.csv"
    code, _, err = run("import", "registry", str(paths["households"]), str(paths["members"]), "--user", "county",
                       "--errors", str(report), "--no-progress")
    assert code == 2 and "控制字符" in err and "Traceback" not in err
    assert "甲␀户主" in report.read_text(encoding="utf-8-sig")


# ---- odd HTTP input --------------------------------------------------------------------------------------

def _openapi() -> dict[str, Any]:
    from sunshine.config.api import api

    return api.get_openapi_schema()


def _get_operations() -> list[tuple[str, list[dict[str, Any]]]]:
    return [(path, op.get("parameters", [])) for path, ops in _openapi()["paths"].items()
            for method, op in ops.items() if method == "get"]


def _odd_values(parameter: dict[str, Any]) -> list[str]:
    kind = parameter.get("schema", {}).get("type") or next(
        (s.get("type") for s in parameter.get("schema", {}).get("anyOf", []) if s.get("type") != "null"), "string")
    if kind == "integer":
        return [HUGE, HUGER, "-" + HUGER, "-1", "0", "abc", "1\x00"]
    if kind == "number":
        return ["1e400", "-" + HUGER, "nan", "x\x00"]
    return ["a\x00b", "x" * 5000, HUGER]


@pytest.fixture
def api_client(users, household_a) -> Client:
    client = Client()
    _, token = ApiToken.issue(users["admin"], name="test")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


@pytest.mark.django_db
def test_no_list_or_detail_operation_answers_500_to_odd_parameters(api_client):
    checked = 0
    for path, parameters in _get_operations():
        base = {p["name"]: _sample_path_value(p) for p in parameters if p["in"] == "path"}
        url = path.format(**base)
        for parameter in parameters:
            for value in _odd_values(parameter):
                if parameter["in"] == "path":
                    target, query = path.format(**{**base, parameter["name"]: value}), {}
                else:
                    target, query = url, {parameter["name"]: value}
                response = api_client.get(target.replace("\x00", "%00"), query)
                assert response.status_code < 500, (target, query, response.content[:300])
                if "\x00" in value:
                    assert response.status_code in (400, 404), (target, query)
                checked += 1
    assert checked > 200


def _sample_path_value(parameter: dict[str, Any]) -> str:
    return "1" if parameter.get("schema", {}).get("type") == "integer" else "x"


@pytest.mark.django_db
@pytest.mark.parametrize("page", [HUGE, HUGER, "-1", "0", "abc"])
def test_huge_page_on_lists_is_a_client_error(api_client, page):
    for path in ("/api/households", "/api/members", "/api/cases", "/api/comparison/findings",
                 "/api/monitoring/warnings", "/api/divisions"):
        response = api_client.get(path, {"page": page})
        assert response.status_code in (400, 422), (path, response.content[:200])
        response = api_client.get(path, {"page_size": page})
        assert response.status_code in (400, 422), (path, response.content[:200])


@pytest.mark.django_db
def test_huge_integer_filter_is_400_not_500(api_client):
    from django.db import connection

    # Foreign-key filters bind the number as it is: SQLite cannot take it beyond 64 bits (was a 500);
    # PostgreSQL compares it as a numeric and finds nothing.
    for path, query in (("/api/comparison/findings", {"run": HUGER}), ("/api/cases", {"adjustment": HUGER})):
        response = api_client.get(path, query)
        if connection.vendor == "sqlite":
            assert response.status_code == 400 and "超出" in response.json()["detail"]
        else:
            assert response.status_code in (200, 400)
    assert api_client.get("/api/households", {"year": HUGER}).status_code < 500


@pytest.mark.django_db
def test_pages_answer_odd_input_without_500(client: Client, users, household_a):
    client.force_login(users["county"])
    for url in ("/households/", "/comparison/findings/", "/monitoring/warnings/", "/cases/"):
        for query in ({"page": HUGE}, {"page": "-1"}, {"year": HUGER}, {"run": HUGER}, {"adjustment": HUGER},
                      {"q": "a\x00b"}):
            response = client.get(url, query)
            assert response.status_code < 500, (url, query)
            if "\x00" in str(query):
                assert response.status_code == 400 and "控制字符" in response.content.decode()


@pytest.mark.django_db
def test_nul_in_form_field_and_json_body_is_400(client: Client, users, household_a):
    client.force_login(users["county"])
    response = client.post("/cases/new/", {"reason": "a\x00b"})
    assert response.status_code == 400 and "控制字符" in response.content.decode()
    token = ApiToken.issue(users["admin"], name="t")[1]
    response = client.patch(f"/api/households/{household_a.household.household_no}/2020",
                            '{"phone": "138\\u00000000000"}', content_type="application/json",
                            HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 400 and "控制字符" in response.json()["detail"]
    # An escaped backslash followed by "u0000" is no NUL.
    response = client.patch(f"/api/households/{household_a.household.household_no}/2020",
                            '{"phone": "\\\\u0000"}', content_type="application/json",
                            HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code != 400


# ---- OpenAPI -------------------------------------------------------------------------------------------

def _models_of_operations() -> dict[str, set[type]]:
    """Every pydantic model reachable from the API's operations, by the name OpenAPI gives it."""
    from pydantic import BaseModel

    from sunshine.config.api import api

    found: dict[str, set[type]] = {}

    def walk(model: Any) -> None:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            for arg in getattr(model, "__args__", ()) or ():
                walk(arg)
            return
        if model.__name__ == "NinjaResponseSchema":  # ninja's wrapper around a response type: not published
            for field in model.model_fields.values():
                walk(field.annotation)
            return
        names = found.setdefault(model.__name__, set())
        if model in names:
            return
        names.add(model)
        for field in model.model_fields.values():
            walk(field.annotation)

    for _prefix, router in api._routers:
        for view in router.path_operations.values():
            for operation in view.operations:
                for model in (operation.response_models or {}).values():
                    walk(model)
                for model in operation.models:
                    for field in model.model_fields.values():
                        walk(field.annotation)
    return found


def test_every_schema_name_is_defined_by_one_class():
    by_name = _models_of_operations()
    # The walk reaches response, body and query schemas (the six names once defined twice among them).
    assert {"AssessmentRunOut", "ComparisonRunOut", "ComparisonRunPage", "AssessmentRunQuery", "FindingEventOut",
            "WarningEventOut", "FindingVerifyIn", "WarningVerifyIn", "CaseFindingOut", "ComparisonFindingOut",
            "HouseholdDetailOut"} <= by_name.keys()
    twice = {name: sorted(f"{c.__module__}.{c.__qualname__}" for c in classes)
             for name, classes in by_name.items() if len(classes) > 1}
    assert not twice


def test_openapi_document_is_consistent():
    doc = _openapi()
    schemas = doc["components"]["schemas"]
    refs: set[str] = set()

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.add(node["$ref"])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(doc)
    assert doc["openapi"].startswith("3.") and doc["info"]["title"]
    missing = {r for r in refs if r.split("/")[-1] not in schemas}
    assert not missing
    for ops in doc["paths"].values():
        for op in ops.values():
            assert "responses" in op and op.get("operationId")
    for name in ("AssessmentRunOut", "ComparisonRunOut", "ComparisonFindingOut", "CaseFindingOut",
                 "FindingEventOut", "WarningEventOut", "FindingVerifyIn", "WarningVerifyIn"):
        assert name in schemas
    try:
        from openapi_spec_validator import validate
    except ImportError:
        return
    validate(doc)


# ---- access log ----------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_cases_list_with_full_ids_is_in_the_access_log(client: Client, users, household_a):
    from sunshine.workflow import services

    services.open_case(actor=users["clerk"], case_type="exit", year=2020, household=household_a.household)
    client.force_login(users["county"])
    before = AccessLog.objects.count()
    response = client.get("/api/cases")
    assert response.status_code == 200 and response.json()["count"] == 1
    log = AccessLog.objects.order_by("-pk").first()
    assert AccessLog.objects.count() == before + 1
    assert log.action == AccessAction.API_READ and log.object_type == "case_list" and log.user == users["county"]
    client.force_login(users["clerk"])  # a masked role gets masked IDs and no log row
    before = AccessLog.objects.count()
    assert client.get("/api/cases").status_code == 200
    assert AccessLog.objects.count() == before
