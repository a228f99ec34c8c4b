"""RawTables → ParsedRegistry: every cell typed, every rule of the data dictionary checked, every error kept.

Set-based: cells are converted column by column, rows checked with sunshine.registry.validation (the rules
forms and services use), and the rules across rows and files with dictionaries; the database is asked a
fixed number of questions (known divisions; who is a member of which household in the file's years)
however many rows there are."""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa

from sunshine.core.choices import DivisionLevel
from sunshine.core.crypto import keyed_hash
from sunshine.core.ids import mask_text
from sunshine.core.spreadsheet import safe_row
from sunshine.engine.comparison.idhash import parse_ids
from sunshine.engine.heap import gc_paused
from sunshine.registry import choices as c
from sunshine.registry.transfer import cells
from sunshine.registry.transfer.columns import HOUSEHOLDS, MEMBERS, MONEY, VILLAGES, TableSpec
from sunshine.registry.transfer.model import ParsedRegistry, RawTable, RowError
from sunshine.registry.transfer.readers import read_table
from sunshine.registry.validation import agree_with_id, check_household_fields, check_identity, check_member_fields

Key = tuple[str, int]


class TypedSheet:
    """A RawTable being validated: its typed rows and the errors found in it, at most one per cell."""

    def __init__(self, raw: RawTable, spec: TableSpec) -> None:
        self.raw, self.spec = raw, spec
        self.errors: list[RowError] = []
        self.bad: set[int] = set()            # indexes of rows with an error
        self._seen: set[tuple[int, str]] = set()
        self._typed: list[dict[str, Any]] | None = []
        self._columns: dict[str, list[Any]] = {}   # field → typed column, as convert types them (until ``typed``)
        self._done: set[str] = set()              # the fields typed
        self.orphan_keys: set[Key] = set()   # keys to skip although no error names them

    @property
    def converted(self) -> bool:
        return all(col.field in self._done for col in self.spec)

    @property
    def typed(self) -> list[dict[str, Any]]:
        """The typed rows ("_row" and every field → value), made from the typed columns when first asked for: a
        sheet typed in another process (typed_households) crosses as columns, not as a dict per row."""
        if self._typed is None:
            names = ["_row", *(col.field for col in self.spec)]
            columns = [self.raw.row_numbers, *(self._columns[col.field] for col in self.spec)]
            self._typed = [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
            self._columns = {}
        return self._typed

    @typed.setter
    def typed(self, rows: list[dict[str, Any]]) -> None:
        self._typed, self._columns = rows, {}

    def __getstate__(self) -> dict[str, Any]:
        # Sent back from the process that typed it (typed_households); a spec is a module constant, named here.
        return {**self.__dict__, "spec": self.spec.name}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, spec=SPECS[state["spec"]])

    def header(self, field: str) -> str:
        return self.raw.headers.get(field) or self.spec.column(field).header

    def add(self, index: int, field: str, message: str, value: str | None = None) -> None:
        if (index, field) in self._seen:
            return  # the first problem of a cell is the one to fix; later ones follow from it
        self._seen.add((index, field))
        self.bad.add(index)
        if value is None:
            value = self.raw.cell(index, field) or ""
        self.errors.append(RowError(self.raw.file, self.raw.sheet, self.raw.row_numbers[index],
                                    self.header(field), value, message))

    def row_no(self, index: int) -> int:
        return self.raw.row_numbers[index]

    def header_errors(self) -> list[RowError]:
        raw, errors = self.raw, []
        for col in self.spec:
            if col.required and col.field not in raw.headers:
                errors.append(RowError(raw.file, raw.sheet, raw.header_row, col.header, "",
                                       f"缺少必填列“{col.header}”(也可写作 {col.field})"))
        for text in raw.duplicate_headers:
            errors.append(RowError(raw.file, raw.sheet, raw.header_row, text, text,
                                   "列重复:与前面的一列表示同一项,请删除其中一列"))
        return errors

    def convert(self, year: int | None, parsers: dict[str, cells.Parser] | None = None, *,
                leave: Collection[str] = ()) -> None:
        """Type every cell not typed yet, column by column; ``leave``: kinds of column to type later (another call)."""
        raw, n = self.raw, self.raw.row_count
        self._typed = None
        for col in self.spec:
            if col.field in self._done or col.kind in leave:
                continue
            self._done.add(col.field)
            if col.field not in raw.headers:
                self._columns[col.field] = [None] * n
                continue
            parse = (parsers or {}).get(col.field) or cells.parser_for(col)
            texts = raw.column(col.field)
            # Parse each distinct text once (most columns repeat a few values: enumerations, years, 是/否),
            # then map: the per-row work is one dictionary lookup.
            distinct = set(texts)
            distinct.discard(None)
            parsed, failed = cells.parse_distinct(parse, distinct)  # type: ignore[arg-type]  # no None left
            parsed[None] = None
            out = list(map(parsed.__getitem__, texts))
            if failed or (col.required and None in texts):
                for i, value in enumerate(out):
                    if value is None and col.required and texts[i] is None:
                        self.add(i, col.field, "必填,不能为空")
                    elif isinstance(value, cells.CellError):
                        self.add(i, col.field, str(value))
                        out[i] = None
            self._columns[col.field] = out
            if col.field == "year":
                self._check_years(out, year)

    def _check_years(self, column: list[Any], year: int | None) -> None:
        # The year rule of households (sunshine.registry.validation) holds for every file; check each year once.
        problems = {y: check_household_fields({"year": y}).get("year") for y in set(column) if y is not None}
        wrong = {y for y, problem in problems.items() if problem or (year is not None and y != year)}
        for i, row_year in enumerate(column) if wrong else ():
            if row_year in wrong:
                self.add(i, "year", problems[row_year] or f"应为{year}年度(导入时指定的年度)")


SPECS = {spec.name: spec for spec in (HOUSEHOLDS, MEMBERS, VILLAGES)}
# ID numbers are checked whole later: members' by check_identity (with gender and birth date), then the heads'
# against those.
HOUSEHOLD_PARSERS: dict[str, cells.Parser] = {"head_id_number": cells.check_id_text}
MEMBER_PARSERS: dict[str, cells.Parser] = {"id_number": cells.check_id_text}


def _known_divisions() -> dict[str, set[str]]:
    from sunshine.core.models import Division

    known: dict[str, set[str]] = defaultdict(set)
    levels = [DivisionLevel.COUNTY, DivisionLevel.TOWNSHIP, DivisionLevel.VILLAGE]
    for code, level in Division.objects.filter(level__in=levels).values_list("code", "level"):
        known[level].add(code)
    return known


def _db_members(years: Iterable[int]) -> dict[tuple[str, int], str]:
    """(keyed hash of the ID number, year) → 户编号 of the household the person is in, for the given years
    (by the hash: a province's year is millions of rows, which are not decrypted for this)."""
    from sunshine.registry.models import MemberYear

    years = sorted(set(years))
    if not years:
        return {}
    rows = MemberYear.objects.filter(year__in=years).order_by().values_list(
        "person__id_number_hash", "year", "household_year__household__household_no")
    return {(number_hash, year): household_no
            for number_hash, year, household_no in rows.iterator(chunk_size=20000)}


def _check_villages(sheet: TypedSheet, known: dict[str, set[str]]) -> None:
    first: dict[Key, int] = {}
    for i, row in enumerate(sheet.typed):
        code = row["division_code"]
        if row["collective_income"] is not None and row["collective_income"] < 0:
            sheet.add(i, "collective_income", "金额不能为负数")
        if code is None:
            continue
        county = code[:6] + "000000"
        township = code[:9] + "000"
        if county not in known[DivisionLevel.COUNTY]:
            sheet.add(i, "division_code", f"所属县(区){county}不存在,只能在已有的县(区)下建立村")
        elif township not in known[DivisionLevel.TOWNSHIP] and not row["township_name"]:
            sheet.add(i, "township_name", f"乡镇{township}尚未建立,请填写乡镇名称", value="")
        if row["year"] is not None:
            key = (code, row["year"])
            if key in first:
                sheet.add(i, "division_code", f"该村{row['year']}年度的记录重复(第{sheet.row_no(first[key])}行已有)")
            else:
                first[key] = i


def _check_households(sheet: TypedSheet, known_villages: set[str], introduced: set[str], broken: set[str]) -> None:
    first: dict[Key, int] = {}
    for i, row in enumerate(sheet.typed):
        for field, message in check_household_fields(row).items():
            if field != "year":
                sheet.add(i, field, message)
        code = row["division_code"]
        if code is not None and code not in known_villages and code not in introduced:
            if code in broken:
                sheet.add(i, "division_code", "该村在村信息文件中的记录有错误,无法引入;请先改正村信息")
            else:
                sheet.add(i, "division_code", "不是已知的村,也不在本次导入的村信息文件中")
        key = (row["household_no"], row["year"])
        if None not in key:
            if key in first:
                sheet.add(i, "household_no", f"户编号在{key[1]}年度重复(第{sheet.row_no(first[key])}行已有)")
            else:
                first[key] = i


def _check_members(sheet: TypedSheet, households: TypedSheet, db_members: dict[tuple[str, int], str]) -> dict[str, str]:
    """Check members row by row and across rows; returns ID text as written → normalised number."""
    numbers: dict[str, str] = {}
    household_keys = {(r["household_no"], r["year"]) for r in households.typed}
    # 户编号 of household rows whose 年度 could not be read: their members are not matched, and not blamed.
    unkeyed = {r["household_no"] for r in households.typed if r["year"] is None}
    first_seen: dict[tuple[str, int], int] = {}
    valid, id_genders, id_births = _id_facts([row["id_number"] for row in sheet.typed])
    for i, row in enumerate(sheet.typed):
        if row["id_number"] is not None:  # the text passed the cell check; now the checksum and agreement
            text = row["id_number"]
            number, gender, birth, errors = (
                agree_with_id(valid[i], id_genders[i], id_births[i], row["gender"], row["birth_date"])
                if valid[i] is not None else check_identity(text, row["gender"], row["birth_date"]))  # says why
            if number is not None:
                numbers[text] = number
            # A gender taken from the ID is a Gender member: store its plain slug, like every other enum.
            row["id_number"], row["gender"], row["birth_date"] = number, gender and str(gender), birth
            for field, message in errors.items():
                sheet.add(i, field, message)
        for field, message in check_member_fields(row).items():
            sheet.add(i, field, message)
        year = row["year"]
        key = (row["household_no"], year)
        if None not in key and key not in household_keys:
            if key[0] in unkeyed:
                sheet.orphan_keys.add(key)  # skipped with its household, which is reported already
            else:
                sheet.add(i, "household_no", f"户信息中没有户编号为{key[0]}的{year}年度记录")
        number = row["id_number"]
        if number is None or year is None:
            continue
        person = (number, year)
        if person in first_seen:
            j = first_seen[person]
            where = "本户" if sheet.typed[j]["household_no"] == row["household_no"] else \
                f"户{sheet.typed[j]['household_no']}"
            sheet.add(i, "id_number", f"此人已在第{sheet.row_no(j)}行作为{where}成员出现,同一人一年只能在一户中")
            continue
        first_seen[person] = i
        other = db_members.get((keyed_hash(number), year)) if db_members else None
        if other is not None and other != row["household_no"] and (other, year) not in household_keys:
            sheet.add(i, "id_number",
                      f"此人{year}年度已是系统中另一户(不在本次导入文件中)的成员,同一人一年只能在一户中")
    return numbers


def _id_facts(texts: list[str | None]) -> tuple[list[str | None], list[str | None], list[dt.date | None]]:
    """Each text's normalised number, gender (a c.Gender value) and birth date when it is a valid ID number (None
    otherwise), all parsed at once by the comparison's column parser, which agrees with
    sunshine.core.ids.parse_id_number (a property test). One number at a time took ≈ 10 µs: 23 s of a province's
    2.3 M members."""
    parsed = parse_ids(pa.array(texts, type=pa.string()))
    births = parsed.birth_date.dictionary_encode()   # some 30,000 distinct dates: each made a Python date once
    dates = births.dictionary.to_pylist()
    return (parsed.number.to_pylist(), parsed.gender.to_pylist(),
            [None if k is None else dates[k] for k in births.indices.to_pylist()])


def _normalise_head_ids(households: TypedSheet, numbers: dict[str, str]) -> None:
    """户主身份证号 → the normalised number. Most heads' numbers were just checked among the members, so
    only the others are parsed here (an ID check costs ~10 µs; 100,000 of them are a second)."""
    for i, row in enumerate(households.typed):
        text = row["head_id_number"]
        if text is None:
            continue
        number = numbers.get(text)
        if number is None:
            try:
                number = cells.parse_id(text)
            except cells.CellError as exc:
                households.add(i, "head_id_number", str(exc))
        row["head_id_number"] = number


def _check_heads(households: TypedSheet, members: TypedSheet) -> None:
    by_household: dict[Key, list[int]] = defaultdict(list)
    for i, row in enumerate(members.typed):
        by_household[(row["household_no"], row["year"])].append(i)
    for h, household in enumerate(households.typed):
        key = (household["household_no"], household["year"])
        if None in key:
            continue
        indexes = by_household.get(key)
        if not indexes:
            households.add(h, "household_no", "成员信息中没有该户的成员(每户至少有户主一人)")
            continue
        if any(members.typed[i]["relation"] is None and members.raw.cell(i, "relation") for i in indexes):
            continue  # a relation that could not be read is already reported; counting heads would guess
        heads = [i for i in indexes if members.typed[i]["relation"] == c.Relation.HEAD]
        if not heads:
            households.add(h, "household_no", "成员信息中该户没有与户主关系为“户主”的成员,每户必须有且只有一名户主")
            continue
        for extra in heads[1:]:
            members.add(extra, "relation", f"该户已有户主(第{members.row_no(heads[0])}行),每户只能有一名户主")
        head = members.typed[heads[0]]
        line = members.row_no(heads[0])
        if household["head_id_number"] and head["id_number"] and household["head_id_number"] != head["id_number"]:
            households.add(h, "head_id_number", f"应与成员信息中该户户主(第{line}行)的身份证号一致")
        if household["head_name"] and head["name"] and household["head_name"] != head["name"]:
            households.add(h, "head_name", f"应与成员信息中该户户主(第{line}行)的姓名“{head['name']}”一致")


def _keyed(sheet: TypedSheet, *fields: str) -> list[dict[str, Any]]:
    return [row for row in sheet.typed if all(row[f] is not None for f in fields)]


def _bad_keys(sheet: TypedSheet, *fields: str) -> set[Any]:
    keys = (tuple(sheet.typed[i][f] for f in fields) for i in sheet.bad)
    return {key for key in keys if None not in key}


def _sorted(errors: Iterable[RowError]) -> list[RowError]:
    return sorted(errors, key=lambda e: (e.file, e.sheet, e.row, e.column, e.message))


def _warnings(tables: Iterable[RawTable]) -> list[str]:
    return [f"{t.file}: 未知列“{h}”已忽略" for t in tables for h in t.unknown_headers]


def validate_villages(villages: RawTable, year: int | None = None) -> ParsedRegistry:
    """A village file on its own (`sunshine import villages`)."""
    with gc_paused():
        return _validate_villages(villages, year)


def _validate_villages(villages: RawTable, year: int | None) -> ParsedRegistry:
    sheet = TypedSheet(villages, VILLAGES)
    warnings = _warnings([villages])
    header_errors = sheet.header_errors()
    if header_errors:
        return ParsedRegistry([], [], [], _sorted(header_errors), set(), warnings)
    sheet.convert(year)
    _check_villages(sheet, _known_divisions())
    return ParsedRegistry([], [], _keyed(sheet, "division_code", "year"), _sorted(sheet.errors), set(), warnings,
                          bad_villages=_bad_keys(sheet, "division_code", "year"))


def typed_households(path: Path, display_name: str | None, year: int | None) -> TypedSheet:
    """A household file read and every cell typed: the part of its validation that needs neither the member
    file nor the database (pipeline.import_registry runs it in a process of its own). Raises TransferFileError
    when the file cannot be read."""
    with gc_paused():
        sheet = TypedSheet(read_table(path, HOUSEHOLDS, display_name=display_name), HOUSEHOLDS)
        if not sheet.header_errors():
            # Amounts are typed by the caller (validate_registry): 4.4 M Decimal objects took longer to pickle,
            # send and unpickle (≈ 11 s for a province) than to make from their texts (≈ 2.5 s).
            sheet.convert(year, HOUSEHOLD_PARSERS, leave={MONEY})
        return sheet


Households = RawTable | TypedSheet


def validate_registry(*, households: Households | Callable[[], Households], members: RawTable,
                      villages: RawTable | None = None, year: int | None = None) -> ParsedRegistry:
    """Households and members (and optionally villages) of one import, checked together.

    ``households``: the file's RawTable, or its cells already typed (``typed_households`` with the same year), or
    a function that returns either, called once the members are typed (while they are, another process may be
    typing the households).
    ``year``: when given, rows of any other year are errors. Every rule of data-dictionary.md is checked;
    the database is read twice (known divisions; members of the files' years), whatever the row count."""
    with gc_paused():
        return _validate_registry(households, members, villages, year)


def _validate_registry(households: Households | Callable[[], Households], members: RawTable,
                       villages: RawTable | None, year: int | None) -> ParsedRegistry:
    m_typed = TypedSheet(members, MEMBERS)
    if not m_typed.header_errors():
        m_typed.convert(year, MEMBER_PARSERS)
    found = households() if callable(households) else households
    h_typed = found if isinstance(found, TypedSheet) else TypedSheet(found, HOUSEHOLDS)
    sheets = {"households": h_typed, "members": m_typed}
    if villages is not None:
        sheets["villages"] = TypedSheet(villages, VILLAGES)
    warnings = _warnings(s.raw for s in sheets.values())
    header_errors = [e for s in sheets.values() for e in s.header_errors()]
    if header_errors:
        return ParsedRegistry([], [], [], _sorted(header_errors), set(), warnings)
    if not h_typed.converted:
        h_typed.convert(year, HOUSEHOLD_PARSERS)
    if village_sheet := sheets.get("villages"):
        village_sheet.convert(year)

    known = _known_divisions()
    introduced: set[str] = set()
    broken: set[str] = set()
    if village_sheet is not None:
        _check_villages(village_sheet, known)
        for i, row in enumerate(village_sheet.typed):
            if row["division_code"] is not None:
                (broken if i in village_sheet.bad else introduced).add(row["division_code"])
        broken -= introduced
    h_sheet, m_sheet = sheets["households"], sheets["members"]
    _check_households(h_sheet, known[DivisionLevel.VILLAGE], introduced, broken)
    numbers = _check_members(m_sheet, h_sheet, _db_members(r["year"] for r in m_sheet.typed if r["year"] is not None))
    _normalise_head_ids(h_sheet, numbers)
    _check_heads(h_sheet, m_sheet)

    bad_households = (_bad_keys(h_sheet, "household_no", "year") | _bad_keys(m_sheet, "household_no", "year")
                      | m_sheet.orphan_keys)
    errors = _sorted(e for s in sheets.values() for e in s.errors)
    return ParsedRegistry(
        households=_keyed(h_sheet, "household_no", "year"),
        members=_keyed(m_sheet, "household_no", "year"),
        villages=_keyed(village_sheet, "division_code", "year") if village_sheet else [],
        errors=errors, bad_households=bad_households, warnings=warnings,
        bad_villages=_bad_keys(village_sheet, "division_code", "year") if village_sheet else set(),
    )


ID_HEADERS = frozenset({HOUSEHOLDS.column("head_id_number").header, MEMBERS.column("id_number").header,
                        "head_id_number", "id_number"})


def _masked_value(error: RowError) -> str:
    value = mask_text(error.value)
    if error.column.lower() in ID_HEADERS and value == error.value and len(value) > 6:
        # Not an 18-character number (a 15-digit one, one Excel turned into 3.2E+17…): keep only the region.
        value = value[:6] + "*" * (len(value) - 6)
    return value


def write_errors(errors: Iterable[RowError], path: str | Path) -> Path:
    """The error report: .csv (UTF-8 with BOM, so Excel opens it) or .xlsx, by the extension of ``path``.
    ID numbers inside values and messages are masked: the report travels further than the data."""
    path = Path(path)
    # safe_row: a value such as =HYPERLINK(…) is written as text, never as a live formula (core.spreadsheet).
    rows = [safe_row((e.file, e.sheet, e.row, e.column, _masked_value(e), mask_text(e.message))) for e in errors]
    if path.suffix.lower() == ".xlsx":
        import xlsxwriter

        book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        sheet = book.add_worksheet("错误")
        text = book.add_format({"num_format": "@"})
        bold = book.add_format({"bold": True})
        sheet.set_column(0, 1, 16, text)
        sheet.set_column(3, 4, 20, text)
        sheet.set_column(5, 5, 60, text)
        sheet.write_row(0, 0, RowError.ERROR_HEADERS, bold)
        for r, (file, sheet_name, row, column, value, message) in enumerate(rows, start=1):
            sheet.write_string(r, 0, file)
            sheet.write_string(r, 1, sheet_name)
            sheet.write_number(r, 2, row)
            sheet.write_string(r, 3, column)
            sheet.write_string(r, 4, value)
            sheet.write_string(r, 5, message)
        book.close()
    else:
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(RowError.ERROR_HEADERS)
            writer.writerows(rows)
    return path
