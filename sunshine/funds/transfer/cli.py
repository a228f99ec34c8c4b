"""`sunshine funds import KIND FILE [--partial] [--errors F] [--user U]` (placeholder until the importers land)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

KINDS = ("projects", "project_beneficiaries", "funds", "allocations", "expenditures", "payments", "village_cadres")


def add_import_arguments(parser: Any) -> None:
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("file")
    parser.add_argument("--partial", action="store_true")
    parser.add_argument("--errors")
    parser.add_argument("--user")


def handle_import(command: Any, options: dict[str, Any]) -> None:
    raise CommandError("尚未实现")
