"""Assistance files out of the database, in the formats they are imported in (services.md §5), within the
reader's scope, with Chinese headers and enumerations (the funds exporter's cell formatting). ID numbers and
phones are full only for a reader who may see them; each export goes to the access log. Blank templates are
the registry's template writer over these columns."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.db.models import QuerySet

from sunshine.assistance import selectors
from sunshine.assistance.transfer.columns import SPECS
from sunshine.core.audit import log_access
from sunshine.core.choices import AccessAction
from sunshine.core.ids import mask_phone
from sunshine.core.models import User
from sunshine.core.spreadsheet import write_records
from sunshine.funds.transfer.export import FORMATS, _formatter
from sunshine.registry.transfer.export import write_template

__all__ = ["FORMATS", "export_kind", "template"]

# field → the lookup of its value on the kind's model
PATHS: dict[str, dict[str, str]] = {
    "cadres": {"division_code": "division_id"},
    "pairings": {"cadre_no": "cadre__cadre_no", "household_no": "household__household_no"},
    "visits": {"cadre_no": "cadre__cadre_no", "household_no": "household__household_no"},
    "work_teams": {"division_code": "village_id", "cadre_no": "cadre__cadre_no"},
}
VILLAGE_CODE_LENGTH = 12


def queryset(kind: str, reader: User) -> QuerySet:
    return {"cadres": selectors.visible_cadres, "pairings": selectors.visible_pairings,
            "visits": selectors.visible_visits, "work_teams": selectors.visible_teams}[kind](reader).order_by("pk")


def records(kind: str, qs: QuerySet, *, full: bool) -> Iterator[dict[str, Any]]:
    spec = SPECS[kind]
    fields = [c.field for c in spec]
    formatters = [_formatter(c, full) for c in spec]
    lookups = [PATHS[kind].get(f, f) for f in fields]
    for obj in qs:
        row = {}
        for field, fmt, lookup in zip(fields, formatters, lookups, strict=True):
            value: Any = obj
            for part in lookup.split("__"):
                value = getattr(value, part) if value is not None else None
            row[field] = fmt(value)
        if kind == "cadres":
            if not full:
                row["phone"] = mask_phone(row["phone"]) or None
            # The file's 区划代码 is a village's: a county's cadre is written blank (imported with --county).
            if obj.level != "village":
                row["division_code"] = None
        yield row


def export_kind(kind: str, path: str | Path, *, reader: User) -> int:
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"输出文件应为 {'、'.join(FORMATS)} 之一: {path.name}")
    spec = SPECS[kind]
    full = reader.can_see_full_personal_data
    headers = {c.field: c.header for c in spec}
    count = write_records(path, records(kind, queryset(kind, reader), full=full), list(headers.values()),
                          lambda record: [record[f] for f in headers], sheet=spec.title)
    detail = f"命令行导出 {path.name} ({count} 行){',含完整身份证号和电话' if full and kind == 'cadres' else ''}"
    log_access(user=reader, action=AccessAction.EXPORT, object_type=f"assistance_{kind}", object_ref=kind,
               detail=detail[:200])
    return count


def template(kind: str, path: str | Path) -> Path:
    return write_template(SPECS[kind], path)
