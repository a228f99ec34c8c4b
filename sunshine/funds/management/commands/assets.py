"""`sunshine assets import assets|asset_income FILE [--partial] [--errors F] [--county C] [--user U]`,
`sunshine assets export|template KIND …` and `sunshine assets dividends --year Y [--division C] --out F`
(funds.md §1, §6, §7: keys asset_no, year, household_no (null for a village's share), division_code, amount)."""

from __future__ import annotations

from functools import partial
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
from sunshine.funds.transfer.columns import ASSET_FILE_KINDS

HEADERS = {"asset_no": "资产编号", "year": "年度", "household_no": "户编号", "division_code": "区划代码",
           "amount": "分红金额(元)"}


class Command(BaseCommand):
    help = "扶贫资产:导入资产和收益文件(import),计算分红(dividends)。Poverty-relief assets and their dividends."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add_import_arguments(sub.add_parser("import", help="导入 assets(资产)或 asset_income(资产收益)文件"),
                             ASSET_FILE_KINDS)
        add_file_actions(sub, ASSET_FILE_KINDS)
        add_computation(sub.add_parser("dividends", help="计算某一年度资产收益的分红(funds.md §6)"))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "import":
            handle_import(self, options)
        elif options["action"] in ("export", "template"):
            handle_file_action(self, options)
        else:
            from sunshine.funds.credit import dividends

            # The command computes afresh and stores the distribution that pages and lists then read.
            handle_computation(self, options, partial(dividends, refresh=True), HEADERS, sheet="资产收益分红",
                               money=("amount",))
