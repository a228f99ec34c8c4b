"""Funds files out of the database, in the formats they are imported in (funds.md §1): one year of one kind,
within the acting user's division, with Chinese headers and Chinese enumerations, so that an export imports
again unchanged. Cells are formula-safe (core.spreadsheet.write_records); ID numbers are masked unless the
reader may see them (then the file cannot be imported back, by design); each export goes to the access log.
Templates are the registry's (an .xlsx with drop-down lists and a 填写说明 sheet, or a .csv header row)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.db.models import Q, QuerySet

from sunshine.core.audit import log_access
from sunshine.core.choices import AccessAction
from sunshine.core.ids import mask_id_number
from sunshine.core.models import User
from sunshine.core.spreadsheet import write_records
from sunshine.funds.models import (
    Allocation,
    Asset,
    AssetIncome,
    Expenditure,
    Fund,
    Loan,
    LoanRepayment,
    Payment,
    Project,
    ProjectBeneficiary,
    VillageCadre,
)
from sunshine.funds.transfer.columns import SPECS
from sunshine.registry.transfer.columns import DATE, ENUM, ID_NUMBER, MONEY, Column
from sunshine.registry.transfer.export import write_template

FORMATS = (".xlsx", ".csv")
CHUNK = 2000

# field of the file → ORM path, per kind (fields not listed are read under their own name)
PATHS: dict[str, dict[str, str]] = {
    "projects": {"division_code": "division_id"},
    "project_beneficiaries": {"project_no": "project__project_no", "household_no": "household__household_no"},
    "funds": {"division_code": "county_id"},
    "allocations": {"fund_no": "fund__fund_no", "project_no": "project__project_no"},
    "expenditures": {"project_no": "project__project_no"},
    "payments": {"fund_no": "fund__fund_no", "project_no": "project__project_no"},
    "village_cadres": {"division_code": "village_id"},
    "loans": {"renewal_of": "renewal_of__loan_no"},
    "loan_repayments": {"loan_no": "loan__loan_no"},
    "assets": {"project_no": "project__project_no", "division_code": "division_id"},
    "asset_income": {"asset_no": "asset__asset_no"},
}
# Read as model instances: ID numbers are decrypted by the model field; villages are a many-to-many list.
INSTANCE_KINDS = ("payments", "village_cadres", "loans", "assets")


def queryset(kind: str, reader: User, year: int) -> QuerySet:
    """The rows of ``kind`` for ``year`` that ``reader`` may see (nothing without a division)."""
    prefix = reader.scope_prefix if reader.is_authenticated and reader.is_active else None
    if prefix is None:
        return Project.objects.none()
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    queries: dict[str, Callable[[], QuerySet]] = {
        "projects": lambda: Project.objects.filter(division__code__startswith=prefix, year=year),
        "project_beneficiaries": lambda: ProjectBeneficiary.objects.filter(
            project__division__code__startswith=prefix, project__year=year),
        "funds": lambda: Fund.objects.filter(county__code__startswith=prefix, year=year),
        "allocations": lambda: Allocation.objects.filter(project__division__code__startswith=prefix,
                                                         date__year=year),
        "expenditures": lambda: Expenditure.objects.filter(project__division__code__startswith=prefix,
                                                           date__year=year),
        "payments": lambda: Payment.objects.filter(
            Q(household__village__code__startswith=prefix)
            | Q(household__isnull=True, county__code__startswith=prefix), period__startswith=str(year)),
        "village_cadres": lambda: VillageCadre.objects.filter(
            Q(end_date__isnull=True) | Q(end_date__gte=first), village__code__startswith=prefix,
            start_date__lte=last),
        # A loan of the year: made in it, or outstanding into it (due or repaid later); its repayments of the year.
        "loans": lambda: Loan.objects.filter(_loan_scope(prefix), loan_date__lte=last).filter(
            Q(due_date__gte=first) | Q(extended_due_date__gte=first) | Q(repayments__date__gte=first)).distinct(),
        "loan_repayments": lambda: LoanRepayment.objects.filter(_loan_scope(prefix, "loan__"), date__year=year),
        "assets": lambda: Asset.objects.filter(division__code__startswith=prefix, formed_date__lte=last),
        "asset_income": lambda: AssetIncome.objects.filter(asset__division__code__startswith=prefix, year=year),
    }
    return queries[kind]().order_by("pk")


def _loan_scope(prefix: str, via: str = "") -> Q:
    """A loan is the reader's when its household is, or (a borrower outside the registry) its county is."""
    return (Q(**{f"{via}household__village__code__startswith": prefix})
            | Q(**{f"{via}household__isnull": True, f"{via}county__code__startswith": prefix}))


def _formatter(column: Column, full: bool) -> Callable[[Any], Any]:
    if column.kind == ENUM:
        labels = column.labels
        return lambda v: labels.get(v, v) if v else None
    if column.kind == MONEY:
        return lambda v: None if v is None else f"{v:.2f}"
    if column.kind == DATE:
        return lambda v: None if v is None else v.isoformat()
    if column.kind == ID_NUMBER and not full:
        return lambda v: mask_id_number(v) or None
    return lambda v: None if v is None or v == "" else v


def records(kind: str, qs: QuerySet, *, full: bool) -> Iterator[dict[str, Any]]:
    spec = SPECS[kind]
    paths = PATHS[kind]
    fields = [c.field for c in spec]
    formatters = [_formatter(c, full) for c in spec]
    lookups = [paths.get(f, f) for f in fields]
    if kind in INSTANCE_KINDS:
        related = sorted({p.split("__")[0] for p in paths.values() if "__" in p})
        if related:
            qs = qs.select_related(*related)
        if kind == "assets":
            qs = qs.prefetch_related("villages")
        for obj in qs.iterator(CHUNK):
            yield {f: fmt(_value(obj, p)) for f, fmt, p in zip(fields, formatters, lookups, strict=True)}
        return
    for values in qs.values_list(*lookups).iterator(CHUNK):
        yield {f: fmt(v) for f, fmt, v in zip(fields, formatters, values, strict=True)}


def _value(obj: Any, path: str) -> Any:
    if path == "villages":   # the file's ;-separated village codes
        return ";".join(sorted(v.code for v in obj.villages.all())) or None
    if path in ("annual_rate", "household_ratio"):   # decimals as written, without trailing zeros
        value = getattr(obj, path)
        return None if value is None else format(value.normalize(), "f")
    return _path(obj, path)


def _path(obj: Any, path: str) -> Any:
    for part in path.split("__"):
        if obj is None:
            return None
        obj = getattr(obj, part)
    return obj


def export_kind(kind: str, path: str | Path, *, reader: User, year: int, origin: str = "命令行导出") -> int:
    """Write ``kind``'s rows of ``year`` visible to ``reader`` to ``path`` (.xlsx or .csv); returns the row
    count. ID numbers are full only for a reader who may see them."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"输出文件应为 {'、'.join(FORMATS)} 之一: {path.name}")
    spec = SPECS[kind]
    full = reader.can_see_full_personal_data
    headers = {c.field: c.header for c in spec}
    count = write_records(path, records(kind, queryset(kind, reader, year), full=full), list(headers.values()),
                          lambda record: [record[f] for f in headers], sheet=spec.title)
    has_ids = any(c.kind == ID_NUMBER for c in spec)
    detail = f"{origin} {path.name} ({count} 行){',含完整身份证号' if full and has_ids else ''}"
    log_access(user=reader, action=AccessAction.EXPORT, object_type=f"funds_{kind}", object_ref=str(year),
               detail=detail[:200])
    return count


def template(kind: str, path: str | Path) -> Path:
    return write_template(SPECS[kind], path)
