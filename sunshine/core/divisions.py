"""Division codes: levels, prefixes and the scope test, without the database."""

from __future__ import annotations

from sunshine.core.choices import LEVEL_PREFIX_LENGTH, DivisionLevel


def level_of_code(code: str) -> DivisionLevel:
    """The level a 12-digit code denotes: trailing zero groups mark a higher level."""
    if len(code) != 12 or not code.isdigit():
        raise ValueError(f"区划代码应为12位数字: {code!r}")
    if code[2:] == "0" * 10:
        return DivisionLevel.PROVINCE
    if code[4:] == "0" * 8:
        return DivisionLevel.CITY
    if code[6:] == "0" * 6:
        return DivisionLevel.COUNTY
    if code[9:] == "000":
        return DivisionLevel.TOWNSHIP
    return DivisionLevel.VILLAGE


def code_prefix(code: str, level: str | None = None) -> str:
    return code[: LEVEL_PREFIX_LENGTH[DivisionLevel(level or level_of_code(code))]]


def parent_code(code: str) -> str | None:
    level = level_of_code(code)
    if level == DivisionLevel.PROVINCE:
        return None
    order = list(LEVEL_PREFIX_LENGTH)
    parent_len = LEVEL_PREFIX_LENGTH[order[order.index(level) - 1]]
    return code[:parent_len].ljust(12, "0")


def county_code_of(code: str) -> str:
    return code[:6].ljust(12, "0")
