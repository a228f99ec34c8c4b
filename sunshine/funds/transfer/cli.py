"""`sunshine funds import KIND FILE [--partial] [--errors F] [--county C] [--user U]`, and the export and
template actions the `funds` command delegates here.

Exit status of import: 0 when every row was imported; 2 when any error was found (the report goes to --errors,
.csv or .xlsx by its extension, and the first errors to stderr) — then nothing was written, or with --partial
only the rows without errors. A file that cannot be read at all also exits with 2."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError

from sunshine.core.ids import mask_text
from sunshine.funds.transfer.columns import KINDS
from sunshine.funds.transfer.pipeline import import_file
from sunshine.registry.management.commands._common import acting_user, report_import
from sunshine.registry.transfer.model import TransferFileError

REPORT_SUFFIXES = (".csv", ".xlsx")


def add_import_arguments(parser: Any, kinds: tuple[str, ...] = KINDS) -> None:
    parser.add_argument("kind", choices=kinds, help="文件类型: " + "、".join(kinds))
    parser.add_argument("file", type=Path, help=".xlsx、.csv(UTF-8/GB18030)或 .parquet 文件")
    parser.add_argument("--partial", action="store_true", help="只导入无错误的行(默认有任何错误则全部不导入)")
    parser.add_argument("--errors", type=Path, help="错误报告文件(.csv 或 .xlsx)")
    parser.add_argument("--county", help="行所属的县(12位区划代码);默认为 --user 的所属县")
    parser.add_argument("--user", help="导入人用户名(县级管理员或系统管理员;默认:第一个系统管理员)")


def handle_import(command: Any, options: dict[str, Any]) -> None:
    errors_path: Path | None = options.get("errors")
    if errors_path is not None and errors_path.suffix.lower() not in REPORT_SUFFIXES:
        raise CommandError("--errors 文件的扩展名应为 .csv 或 .xlsx")
    actor = acting_user(options.get("user"))
    try:
        outcome = import_file(options["kind"], options["file"], actor=actor, partial=options.get("partial", False),
                              county=options.get("county"))
    except TransferFileError as exc:
        command.stderr.write(mask_text(str(exc)))
        raise SystemExit(2) from exc
    except PermissionDenied as exc:
        raise CommandError(str(exc)) from exc
    report_import(command, summary=outcome.summary() if outcome.written else None, warnings=outcome.warnings,
                  errors=outcome.errors, errors_path=errors_path, label=outcome.label)


OUT_FORMATS = (".json", ".csv", ".xlsx")


def add_computation(parser: Any) -> None:
    """The arguments of `sunshine loans subsidy` and `sunshine assets dividends`."""
    parser.add_argument("--year", type=int, required=True)
    parser.add_argument("--division", help="12位区划代码,默认为 --user 的所属区划")
    parser.add_argument("--out", type=Path, required=True, help="输出文件 .json / .csv / .xlsx")
    parser.add_argument("--user", help="以该用户的身份和管辖范围计算;默认为第一个系统管理员")


def handle_computation(command: Any, options: dict[str, Any], compute: Callable[..., Any],
                       headers: dict[str, str], *, sheet: str, money: tuple[str, ...]) -> None:
    """Run ``compute(reader, year, division_code)`` (an Arrow table with ``headers``' keys) and write it to
    --out: .json with the keys of funds.md §7 (amounts as numbers), .csv/.xlsx under Chinese headers."""
    from django.core.exceptions import ValidationError

    from sunshine.core.audit import log_access
    from sunshine.core.choices import AccessAction
    from sunshine.core.spreadsheet import labelled_row, write_records

    out: Path = options["out"]
    if out.suffix.lower() not in OUT_FORMATS:
        raise CommandError(f"输出文件应为 {'、'.join(OUT_FORMATS)} 之一: {out}")
    actor = acting_user(options.get("user"))
    try:
        table = compute(actor, options["year"], options.get("division"))
    except (ValidationError, PermissionDenied) as exc:
        raise CommandError("; ".join(exc.messages if isinstance(exc, ValidationError) else [str(exc)])) from exc

    def records() -> Any:
        for row in table.to_pylist():
            yield {k: (float(row[k]) if k in money and row[k] is not None else row[k]) for k in headers}

    count = write_records(out, records(), list(headers.values()), labelled_row(headers), sheet=sheet)
    log_access(user=actor, action=AccessAction.EXPORT, object_type=f"funds_{options['action']}",
               object_ref=str(options["year"]), detail=f"命令行导出 {out.name} ({count} 行)"[:200])
    total = sum((row[money[0]] for row in table.to_pylist()), start=0)
    command.stdout.write(f"{options['year']}年度:{count} 行,合计 {total:.2f} 元;已写入 {out}")


def add_file_actions(sub: Any, kinds: tuple[str, ...] = KINDS) -> None:
    """`sunshine funds|loans|assets export KIND --year Y --out F.xlsx|.csv [--user U]` and
    `sunshine funds|loans|assets template KIND --out F.xlsx|.csv`."""
    exp = sub.add_parser("export", help="导出某一年度的文件(身份证号按导出人的权限脱敏)")
    exp.add_argument("kind", choices=kinds)
    exp.add_argument("--year", type=int, required=True)
    exp.add_argument("--out", type=Path, required=True, help="输出文件 .xlsx 或 .csv")
    exp.add_argument("--user", help="导出人用户名(决定范围和是否脱敏;默认:第一个系统管理员)")
    tpl = sub.add_parser("template", help="空白导入模板(.xlsx 含下拉选项和填写说明;或 .csv 表头)")
    tpl.add_argument("kind", choices=kinds)
    tpl.add_argument("--out", type=Path, required=True, help="输出文件 .xlsx 或 .csv")


def handle_file_action(command: Any, options: dict[str, Any]) -> None:
    from sunshine.funds.transfer.export import FORMATS, export_kind, template

    out: Path = options["out"]
    if out.suffix.lower() not in FORMATS:
        raise CommandError(f"输出文件应为 {'、'.join(FORMATS)} 之一: {out}")
    if options["action"] == "template":
        template(options["kind"], out)
        command.stdout.write(f"模板已写入 {out}")
        return
    actor = acting_user(options.get("user"))
    count = export_kind(options["kind"], out, reader=actor, year=options["year"])
    command.stdout.write(f"已导出 {count} 行到 {out}")
