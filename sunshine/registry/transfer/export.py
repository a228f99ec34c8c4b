"""Database → files in the data-dictionary formats (.xlsx, .csv, .parquet), and empty templates.

Files are written so that export → import → export gives the same file: Chinese headers in the
dictionary's order, enumerations as their Chinese labels, 是/否, money with two decimals, empty cells for
unknown values, and a fixed row order (户编号, 年度; members head first, then by ID number — an order that
does not depend on database ids, so it survives a re-import into another database).

ID numbers and phones are written in full only when the caller passes ``unmasked=True`` (and has logged
the export). A masked file (320321********123X, birth dates left empty) is for reading only: it cannot be
imported again, since its ID numbers are no longer valid.

csv and xlsx text cells that a spreadsheet would run as formulas (=, +, -, @, tab, CR first) are written with
a leading single quote (sunshine.core.spreadsheet.safe_cell); the readers remove it, so the round trip holds.
Parquet is written as is."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Value, When

from sunshine.core.ids import mask_id_number, mask_phone
from sunshine.core.spreadsheet import RISKY_FIRST, safe_cell
from sunshine.registry import choices as c
from sunshine.registry.transfer import columns as k
from sunshine.registry.transfer.columns import HOUSEHOLDS, MEMBERS, TABLES, VILLAGES, Column, TableSpec

FORMATS = (".xlsx", ".csv", ".parquet")
CHUNK = 5000
# Where each column's value lives, relative to the exported model; the others are the model's own fields.
HOUSEHOLD_PATHS = {"household_no": "household__household_no", "division_code": "household__village_id"}
MEMBER_PATHS = {
    "household_no": "household_year__household__household_no", "name": "person__name",
    "id_number": "person__id_number", "gender": "person__gender", "birth_date": "person__birth_date",
}
VILLAGE_PATHS = {"division_code": "village_id", "name": "village__name",
                 "township_name": "village__parent__name", "key_area": "key_area__slug"}


def export_households(queryset: QuerySet, path: str | Path, *, unmasked: bool = False) -> int:
    """Rows of households.csv for a queryset of HouseholdYear; returns the number of rows written."""
    qs = queryset.order_by("household__household_no", "year")
    return _export(qs, HOUSEHOLDS, HOUSEHOLD_PATHS, path, unmasked)


def export_members(queryset: QuerySet, path: str | Path, *, unmasked: bool = False) -> int:
    """Rows of members.csv for a queryset of MemberYear."""
    head_first = Case(When(relation=c.Relation.HEAD, then=Value(0)), default=Value(1), output_field=IntegerField())
    qs = queryset.annotate(_head_first=head_first).order_by(
        "household_year__household__household_no", "year", "_head_first")
    # ID numbers are encrypted at rest, so the database cannot order by them: the rows of one household and
    # year (head first) are sorted by the decrypted ID here, which gives the order of before.
    fields = [col.field for col in MEMBERS]
    at = {name: fields.index(name) for name in ("household_no", "year", "relation", "id_number")}
    head = c.Relation.HEAD.value

    def group(values: tuple) -> tuple:
        return values[at["household_no"]], values[at["year"]], values[at["relation"]] != head

    return _export(qs, MEMBERS, MEMBER_PATHS, path, unmasked,
                   within=lambda rows: _sorted_groups(rows, group, lambda v: v[at["id_number"]] or ""))


def _sorted_groups(rows: Iterator[tuple], group: Callable[[tuple], tuple],
                   key: Callable[[tuple], Any]) -> Iterator[tuple]:
    """Rows already ordered by ``group``: each group's rows sorted by ``key``."""
    for _, members in itertools.groupby(rows, group):
        yield from sorted(members, key=key)


def export_villages(queryset: QuerySet, path: str | Path, *, unmasked: bool = False) -> int:
    """Rows of villages.csv for a queryset of VillageYear (no personal data: ``unmasked`` changes nothing)."""
    return _export(queryset.order_by("village_id", "year"), VILLAGES, VILLAGE_PATHS, path, unmasked)


def export_year(year: int, directory: str | Path, fmt: str, division: Any = None, *,
                unmasked: bool = False) -> dict[str, Path]:
    """households, members and villages files of a whole year (of one division, by code or Division).

    Not scoped to a reader: for the CLI and administrators. Pages export scoped querysets through the
    functions above."""
    from sunshine.core.divisions import code_prefix
    from sunshine.registry.models import HouseholdYear, MemberYear, VillageYear

    suffix = "." + fmt.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ValueError(f"不支持的导出格式“{fmt}”,应为 xlsx、csv 或 parquet")
    code = getattr(division, "code", division)
    prefix = code_prefix(code) if code else ""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {name: directory / f"{name}{suffix}" for name in TABLES}
    export_villages(VillageYear.objects.filter(year=year, village__code__startswith=prefix), paths["villages"])
    export_households(HouseholdYear.objects.filter(year=year, household__village__code__startswith=prefix),
                      paths["households"], unmasked=unmasked)
    export_members(MemberYear.objects.filter(year=year, household_year__household__village__code__startswith=prefix),
                   paths["members"], unmasked=unmasked)
    return paths


def write_template(kind: str | TableSpec, path: str | Path) -> Path:
    """An empty file to fill in: .csv with the header row only; .xlsx with column formats, drop-down lists
    of the allowed values, and a second sheet 填写说明 describing every column."""
    spec = TABLES[kind] if isinstance(kind, str) else kind
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        with _Writer(path, spec) as write:
            write([])
        return path
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet(spec.title)
    formats = _xlsx_formats(book)
    for i, col in enumerate(spec):
        sheet.write_string(0, i, col.header, formats["required" if col.required else "header"])
        sheet.set_column(i, i, max(10, 2 * len(col.header) + 2), formats["text"] if _is_text(col) else None)
        if col.kind in (k.ENUM, k.BOOL):
            values = list(col.choices or ()) if col.kind == k.ENUM else [k.YES, k.NO]
            sheet.data_validation(1, i, 1048575, i, {
                "validate": "list", "source": values, "error_title": col.header,
                "error_message": f"应为以下之一:{col.allowed_text()}"[:255],
            })
    sheet.freeze_panes(1, 0)
    help_sheet = book.add_worksheet("填写说明")
    help_sheet.write_row(0, 0, ("列名", "英文字段名", "类型", "是否必填", "允许的值", "说明"), formats["header"])
    for r, col in enumerate(spec, start=1):
        help_sheet.write_row(r, 0, (col.header, col.field, k.KIND_LABELS[col.kind], "必填" if col.required else "",
                                    col.allowed_text() if col.kind in (k.ENUM, k.BOOL) else "", col.note))
    help_sheet.write_string(len(spec) + 2, 0, "第一行为列名,不要修改;每行一条记录;空白表示未知。列名也可用英文字段名。")
    help_sheet.set_column(0, 1, 22)
    help_sheet.set_column(2, 3, 16)
    help_sheet.set_column(4, 5, 60)
    book.close()
    return path


# ---- rows ----

def _export(qs: QuerySet, spec: TableSpec, paths: dict[str, str], path: str | Path, unmasked: bool,
            within: Callable[[Iterator[tuple]], Iterator[tuple]] | None = None) -> int:
    lookups = [paths.get(col.field, col.field) for col in spec]
    formatters = [_formatter(col, unmasked) for col in spec]
    count = 0
    with _Writer(Path(path), spec) as write:
        batch: list[list[str | None]] = []
        rows = qs.values_list(*lookups).iterator(chunk_size=CHUNK)
        for values in within(rows) if within else rows:
            batch.append([f(v) for f, v in zip(formatters, values, strict=True)])
            if len(batch) >= CHUNK:
                write(batch)
                count += len(batch)
                batch = []
        write(batch)
        count += len(batch)
    return count


def _formatter(col: Column, unmasked: bool) -> Callable[[Any], str | None]:
    kind = col.kind
    if kind == k.ENUM:
        labels = col.labels
        return lambda v: labels.get(v, v) if v else None
    if kind == k.BOOL:
        return lambda v: None if v is None else (k.YES if v else k.NO)
    if kind == k.MONEY:
        return lambda v: None if v is None else f"{v:.2f}"
    if kind == k.DATE:
        if col.field == "birth_date" and not unmasked:
            return lambda v: None  # a birth date is the masked digits of the ID number
        return lambda v: None if v is None else v.isoformat()
    if kind == k.ID_NUMBER and not unmasked:
        return lambda v: mask_id_number(v) or None
    if col.field == "phone" and not unmasked:
        return lambda v: mask_phone(v) or None
    return lambda v: None if v is None or v == "" else str(v)


def _is_text(col: Column) -> bool:
    # Cells Excel must not turn into numbers (IDs lose digits, codes and 户编号 lose leading zeros).
    return col.kind in (k.TEXT, k.ID_NUMBER, k.DIVISION_CODE, k.DATE)


# ---- writers: a context manager giving write(rows); write([]) adds nothing (a file with headers only) ----

class _Writer:
    def __init__(self, path: Path, spec: TableSpec) -> None:
        suffix = path.suffix.lower()
        if suffix not in FORMATS:
            raise ValueError(f"不支持的文件类型“{suffix}”,应为 .xlsx、.csv 或 .parquet")
        self.path, self.spec, self.suffix = path, spec, suffix
        self._close: Callable[[], None] = lambda: None

    def __enter__(self) -> Callable[[Sequence[Sequence[str | None]]], None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return {".csv": self._csv, ".parquet": self._parquet, ".xlsx": self._xlsx}[self.suffix]()

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        self._close()
        if exc_type is not None:
            self.path.unlink(missing_ok=True)  # never leave half a file that looks like an export

    def _csv(self) -> Callable[[Sequence[Sequence[str | None]]], None]:
        fh = self.path.open("w", encoding="utf-8-sig", newline="")
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow([col.header for col in self.spec])
        self._close = fh.close
        # Formula injection: a text cell such as =HYPERLINK(…) gets a leading quote (core.spreadsheet); the
        # readers take it off again, so the file still round-trips.
        return lambda rows: writer.writerows([["" if v is None else (safe_cell(v) if v[:1] in RISKY_FIRST else v)
                                               for v in row] for row in rows])

    def _parquet(self) -> Callable[[Sequence[Sequence[str | None]]], None]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        # Every column as string: IDs, codes and money keep their exact text, and the file round-trips.
        schema = pa.schema([pa.field(col.header, pa.string()) for col in self.spec])
        out = pq.ParquetWriter(str(self.path), schema)
        self._close = out.close

        def write(rows: Sequence[Sequence[str | None]]) -> None:
            if rows:  # one row group per chunk: the same rows give the same file
                columns = zip(*rows, strict=True)
                out.write_table(pa.table([pa.array(list(v), pa.string()) for v in columns], schema=schema))
        return write

    def _xlsx(self) -> Callable[[Sequence[Sequence[str | None]]], None]:
        from sunshine.registry.transfer.xlsxstream import SheetWriter

        cols = list(self.spec)
        # Numbers stay numbers for the clerk's sums; everything else is text, never converted.
        writer = SheetWriter(
            self.path, self.spec.title, [col.header for col in cols],
            numeric=[i for i, col in enumerate(cols) if col.kind == k.INT],
            money=[i for i, col in enumerate(cols) if col.kind == k.MONEY],
            text=[i for i, col in enumerate(cols) if _is_text(col)],
        )
        writer.__enter__()
        self._close = lambda: writer.__exit__(None, None, None)
        return writer.write


def _xlsx_formats(book: Any) -> dict[str, Any]:
    return {
        "header": book.add_format({"bold": True}),
        "required": book.add_format({"bold": True, "font_color": "#C00000"}),
        "text": book.add_format({"num_format": "@"}),
        "money": book.add_format({"num_format": "0.00"}),
    }

