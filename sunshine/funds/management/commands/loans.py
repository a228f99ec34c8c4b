"""`sunshine loans import loans|loan_repayments FILE [--partial] [--errors F] [--county C] [--user U]`,
`sunshine loans export|template KIND …` and `sunshine loans subsidy --year Y [--division C] --out F`
(funds.md §1, §5, §7: the interest subsidy per loan, keys loan_no, year, subsidy)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from sunshine.funds.transfer.cli import (
    add_computation,
    add_file_actions,
    add_import_arguments,
    handle_computation,
    handle_file_action,
    handle_import,
)
from sunshine.funds.transfer.columns import LOAN_KINDS

HEADERS = {"loan_no": "贷款编号", "year": "年度", "subsidy": "贴息金额(元)"}


class Command(BaseCommand):
    help = "扶贫小额信贷:导入贷款和还款文件(import),计算贴息(subsidy)。Micro-credit loans and interest subsidy."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add_import_arguments(sub.add_parser("import", help="导入 loans(贷款)或 loan_repayments(还款)文件"),
                             LOAN_KINDS)
        add_file_actions(sub, LOAN_KINDS)
        add_computation(sub.add_parser("subsidy", help="计算某一年度每笔贷款的贴息(funds.md §5)"))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "import":
            handle_import(self, options)
        elif options["action"] in ("export", "template"):
            handle_file_action(self, options)
        else:
            from sunshine.funds.credit import subsidy

            handle_computation(self, options, subsidy, HEADERS, sheet="贴息", money=("subsidy",))
