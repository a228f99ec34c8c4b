"""Text columns → typed Arrow columns, one column kind at a time.

Each kind has a vectorised path for the way machines write values (2020-05-17, 1234.50, 12 digits) and sends
every other text, once per distinct value, to the registry's cell parsers (sunshine.registry.transfer.cells):
they accept what a clerk types (2020/5/17, full-width digits …) and word the errors. The fast path accepts
only texts the slow one reads to the same value, so a file reads the same whichever path its cells take.

A parser returns (values, messages): values null where the cell is empty or bad; messages null where the cell
is fine, else the Chinese error (None when no cell is bad)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sunshine.engine.comparison import datasets as d
from sunshine.engine.comparison.idhash import civil_days, valid_dates
from sunshine.registry.transfer import cells

Parsed = tuple[pa.Array, pa.Array | None]
NULL_TEXT = pa.scalar(None, pa.string())
HASH_MESSAGE = "应为64位十六进制字符(身份证号经HMAC-SHA256计算的值)"
NUMBER_MESSAGE = "应为数字(如 85.5),不带单位"
CONTROL_PATTERN = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$", re.ASCII)


def _matches(texts: pa.Array, pattern: str) -> pa.Array:
    return pc.fill_null(pc.match_substring_regex(texts, pattern), False)


def by_unique(texts: pa.Array, parse: Callable[[str], Any], arrow_type: pa.DataType) -> Parsed:
    """Parse each distinct non-null text once with ``parse`` (which raises cells.CellError), then map."""
    uniques = pc.unique(texts).drop_null()
    values: list[Any] = []
    messages: list[str | None] = []
    for text in uniques.to_pylist():
        try:
            values.append(parse(text))
            messages.append(None)
        except cells.CellError as exc:
            values.append(None)
            messages.append(str(exc))
    index = pc.index_in(texts, value_set=uniques)
    typed = pa.array(values, type=arrow_type).take(index)
    if not any(m is not None for m in messages):
        return typed, None
    return typed, pa.array(messages, type=pa.string()).take(index)


def _fast_then_slow(texts: pa.Array, fast: pa.Array, fast_values: pa.Array, parse: Callable[[str], Any],
                    arrow_type: pa.DataType) -> Parsed:
    """``fast_values`` where ``fast``; every other non-empty text through ``parse``."""
    rest = pc.and_(pc.invert(fast), pc.is_valid(texts))
    if not pc.any(rest).as_py():
        return fast_values, None
    slow_values, messages = by_unique(pc.if_else(rest, texts, NULL_TEXT), parse, arrow_type)
    return pc.coalesce(fast_values, slow_values), messages


def parse_dates(texts: pa.Array) -> Parsed:
    fast = _matches(texts, r"^\d{4}-\d{2}-\d{2}$")
    filled = pc.if_else(fast, texts, "1970-01-01")

    def part(start: int, stop: int) -> np.ndarray:
        return pc.cast(pc.utf8_slice_codeunits(filled, start, stop), pa.int64()).to_numpy(zero_copy_only=False)

    year, month, day = part(0, 4), part(5, 7), part(8, 10)
    ok = fast.to_numpy(zero_copy_only=False) & valid_dates(year, month, day) & (year >= cells.FIRST_YEAR)
    days = np.where(ok, civil_days(year, month, day), 0).astype(np.int32)
    values = pa.array(days, type=pa.int32(), mask=~ok).cast(pa.date32())
    return _fast_then_slow(texts, pa.array(ok), values, cells.parse_date, pa.date32())


def parse_money(texts: pa.Array) -> Parsed:
    fast = _matches(texts, r"^-?\d{1,12}(\.\d{1,2})?$")
    values = pc.if_else(fast, pc.cast(pc.if_else(fast, texts, "0"), d.MONEY), pa.scalar(None, d.MONEY))
    return _fast_then_slow(texts, fast, values, cells.parse_money, d.MONEY)


def _number(text: str) -> float:
    text = text.translate(cells.FULL_WIDTH)
    if not _NUMBER.match(text):
        raise cells.CellError(NUMBER_MESSAGE)
    value = float(text)
    if not math.isfinite(value):
        raise cells.CellError(NUMBER_MESSAGE)
    return value


def parse_numbers(texts: pa.Array) -> Parsed:
    fast = _matches(texts, r"^-?\d{1,15}(\.\d{1,15})?$")
    values = pc.if_else(fast, pc.cast(pc.if_else(fast, texts, "0"), pa.float64()), pa.scalar(None, pa.float64()))
    return _fast_then_slow(texts, fast, values, _number, pa.float64())


def parse_choices(texts: pa.Array, accepted: dict[str, Any], arrow_type: pa.DataType, message: str) -> Parsed:
    """An enumeration: each accepted text → its value; any other text is an error."""
    keys = pa.array(list(accepted), type=pa.string())
    index = pc.index_in(texts, value_set=keys)
    values = pa.array(list(accepted.values()), type=arrow_type).take(index)
    bad = pc.and_(pc.is_valid(texts), pc.is_null(index))
    if not pc.any(bad).as_py():
        return values, None
    return values, pc.if_else(bad, message, NULL_TEXT)


def parse_enum(texts: pa.Array, column: d.Column) -> Parsed:
    # The English slug is accepted too, as the registry's importer does (files written from the API).
    accepted = {**column.choices, **{slug: slug for slug in column.choices.values()}}
    return parse_choices(texts, accepted, pa.string(), f"不是允许的值,应为以下之一:{'、'.join(column.choices)}")


def parse_yes_no(texts: pa.Array) -> Parsed:
    labels = d.YES_NO_CHOICES
    return parse_choices(texts, labels, pa.bool_(), f"应填“{'”或“'.join(labels)}”")


def parse_hashes(texts: pa.Array) -> Parsed:
    """An id_hash: 64 hex digits, stored lower-case."""
    good = _matches(texts, r"^[0-9a-fA-F]{64}$")
    values = pc.if_else(good, pc.ascii_lower(texts), NULL_TEXT)
    bad = pc.and_(pc.is_valid(texts), pc.invert(good))
    if not pc.any(bad).as_py():
        return values, None
    return values, pc.if_else(bad, HASH_MESSAGE, NULL_TEXT)


def _division(text: str) -> str:
    text = text.translate(cells.FULL_WIDTH)
    if len(text) == 9 and text.isascii() and text.isdigit():
        text += "000"
    return cells.parse_code(text)


def parse_division_codes(texts: pa.Array) -> Parsed:
    """A village or township code: 12 digits; a 9-digit township code is padded with 000."""
    digits = pc.fill_null(pc.ascii_is_decimal(texts), False)
    length = pc.binary_length(texts)
    full = pc.and_(digits, pc.fill_null(pc.equal(length, 12), False))
    short = pc.and_(digits, pc.fill_null(pc.equal(length, 9), False))
    values = pc.if_else(full, texts, NULL_TEXT)
    if pc.any(short).as_py():
        values = pc.if_else(short, pc.binary_join_element_wise(texts, "000", ""), values)
    return _fast_then_slow(texts, pc.or_(full, short), values, _division, pa.string())


def parse_text(texts: pa.Array) -> Parsed:
    """Text as written, but no control characters (a NUL cannot be stored in PostgreSQL): as cells._text."""
    bad = _matches(texts, CONTROL_PATTERN)
    if not pc.any(bad).as_py():
        return texts, None
    return pc.if_else(bad, NULL_TEXT, texts), pc.if_else(bad, cells.CONTROL_MESSAGE, NULL_TEXT)


def parse_column(column: d.Column, texts: pa.Array) -> Parsed:
    """Type one column (every kind but ID, which validate.py reads with the row's other identity columns)."""
    if texts.null_count == len(texts) and column.kind != d.TEXT:
        return pa.nulls(len(texts), column.arrow_type), None
    if column.field == "division_code":
        return parse_division_codes(texts)
    kind = column.kind
    if kind == d.TEXT:
        return parse_text(texts)
    if kind == d.DATE:
        return parse_dates(texts)
    if kind == d.MONEY_KIND:
        return parse_money(texts)
    if kind == d.INT:
        return by_unique(texts, cells.parse_year, pa.int32())
    if kind == d.NUMBER:
        return parse_numbers(texts)
    if kind == d.ENUM:
        return parse_enum(texts, column)
    if kind == d.YES_NO:
        return parse_yes_no(texts)
    if kind == d.HASH:
        return parse_hashes(texts)
    raise ValueError(f"{column.field}: kind {kind} is not typed here")
