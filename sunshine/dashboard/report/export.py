"""One report file for a reader: the pack built in their scope, rendered as xlsx or PDF, the download logged.
The command and the page both go through here, so they write the same file and the same log line."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from sunshine.core.audit import log_access
from sunshine.core.choices import AccessAction
from sunshine.core.models import User
from sunshine.dashboard.report import pdf, xlsx
from sunshine.dashboard.report.tables import Pack, build

FORMATS = ("xlsx", "pdf")
CONTENT_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "pdf": "application/pdf"}
OBJECT_TYPE = "indicator_report"


@dataclass(frozen=True)
class ReportFile:
    pack: Pack
    format: str
    data: bytes

    @property
    def filename(self) -> str:
        return f"report-{self.pack.division.code}-{self.pack.year}.{self.format}"


def produce(*, reader: User, division_code: str, year: int, format_: str, detail: str = "",
            request: HttpRequest | None = None) -> ReportFile:
    """Build and render the pack (404 outside the reader's scope) and write the export to the access log."""
    if format_ not in FORMATS:
        raise ValueError(format_)
    pack = build(reader=reader, division_code=division_code, year=year)
    data = xlsx.render(pack) if format_ == "xlsx" else pdf.render(pack)
    log_access(user=reader, action=AccessAction.EXPORT, object_type=OBJECT_TYPE,
               object_ref=f"{pack.division.code}/{year}",
               detail=detail or f"统计报表 {format_.upper()}({len(pack.tables)} 张表)", request=request)
    return ReportFile(pack, format_, data)
