"""One cell's text → its typed value, per column kind; a bad cell raises CellError with a Chinese message
that says what is allowed. Rules across cells and rows are in validate.py."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection
from decimal import Decimal, InvalidOperation
from typing import Any

from sunshine.core.choices import DivisionLevel
from sunshine.core.divisions import level_of_code
from sunshine.core.ids import InvalidIdNumber, parse_id_number
from sunshine.registry.transfer import columns as k

CENT = Decimal("0.01")
MONEY_LIMIT = Decimal(10) ** 12          # max_digits=14, decimal_places=2 in the models
FIRST_YEAR, LAST_YEAR = 1900, 2100
# Chinese input methods produce full-width digits; they mean the same digits.
FULL_WIDTH = str.maketrans("０１２３４５６７８９ｘＸ－．／", "0123456789XX-./")

_INT = re.compile(r"^[+-]?\d+$", re.ASCII)
_MONEY = re.compile(r"^[+-]?(\d+)(?:\.(\d*))?$", re.ASCII)
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?: 00:00(?::00)?)?$", re.ASCII)
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$", re.ASCII)
_CODE = re.compile(r"^\d{12}$", re.ASCII)
# NUL and the other C0 control characters (tab and line breaks aside) are no text a clerk types: PostgreSQL
# refuses NUL outright, and Excel cannot show the others.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
CONTROL_MESSAGE = "含有不可见的控制字符(如 NUL),请删除后重新填写"


class CellError(ValueError):
    """The cell cannot be read as its column's kind; str(exc) is the Chinese message."""


Parser = Callable[[str], Any]


def parser_for(column: k.Column) -> Parser:
    """The function turning a non-empty, stripped cell of ``column`` into its typed value."""
    kind = column.kind
    if kind == k.TEXT:
        return _text(column.max_length)
    if kind == k.ENUM:
        return _enum(column)
    if kind == k.BOOL:
        return parse_bool
    if kind == k.INT:
        return parse_year
    if kind == k.MONEY:
        return parse_money
    if kind == k.DATE:
        return parse_date
    if kind == k.DIVISION_CODE:
        return parse_village_code
    return parse_id


class _Text:
    """Text as written: no longer than the column allows, no control characters."""

    def __init__(self, max_length: int | None) -> None:
        self.max_length = max_length

    def __call__(self, text: str) -> str:
        if self.max_length and len(text) > self.max_length:
            raise CellError(f"不能超过{self.max_length}个字符(现有{len(text)}个)")
        if _CONTROL.search(text):
            raise CellError(CONTROL_MESSAGE)
        return text

    def many(self, texts: Collection[str]) -> dict[str, Any]:
        """Every text as itself when none is too long and none holds a control character (both asked of the whole
        column at once), else nothing: then each text is parsed alone and the bad ones say why."""
        if not texts or (self.max_length and max(map(len, texts)) > self.max_length) \
                or _CONTROL.search("\n".join(texts)):
            return {}
        return dict(zip(texts, texts, strict=True))


def _text(max_length: int | None) -> Parser:
    return _Text(max_length)


def _enum(column: k.Column) -> Parser:
    accepted = dict(column.choices or {})
    # The English slug is accepted too (files written by other systems from the API); so is a lower-case
    # housing grade letter.
    accepted.update({slug: slug for slug in accepted.values()})
    accepted.update({slug.lower(): slug for slug in accepted.values() if len(slug) == 1})
    message = f"不是允许的值,应为以下之一:{column.allowed_text()}"

    def parse(text: str) -> str:
        try:
            return accepted[text]
        except KeyError:
            raise CellError(message) from None
    return parse


def parse_bool(text: str) -> bool:
    try:
        return k.BOOL_LABELS[text]
    except KeyError:
        raise CellError(f"应填“{k.YES}”或“{k.NO}”") from None


def parse_year(text: str) -> int:
    text = text.translate(FULL_WIDTH)
    if not _INT.match(text):
        raise CellError("应为四位数字的年份,如 2020")
    value = int(text)
    if not FIRST_YEAR <= value <= LAST_YEAR:
        raise CellError(f"应为{FIRST_YEAR}至{LAST_YEAR}之间的年份")
    return value


def parse_money(text: str) -> Decimal:
    if not text.isascii():
        text = text.translate(FULL_WIDTH)
    match = _MONEY.match(text)
    if not match:
        raise CellError("应为金额数字(单位:元,如 1234.50),不带逗号或单位")
    if len(match.group(2) or "") > 2:
        raise CellError("金额最多两位小数(单位:元)")
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only plain decimals
        raise CellError("应为金额数字(单位:元)") from None
    if abs(value) >= MONEY_LIMIT:
        raise CellError("金额过大(应小于一万亿元)")
    return value.quantize(CENT)


def parse_date(text: str) -> dt.date:
    text = text.translate(FULL_WIDTH)
    match = _DATE.match(text) or _DATE_COMPACT.match(text)
    if match:
        try:
            value = dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            raise CellError("不是有效的日期") from None
        if value.year >= FIRST_YEAR:
            return value
    raise CellError("应为日期,格式 YYYY-MM-DD(如 2020-05-17)")


def parse_code(text: str) -> str:
    text = text.translate(FULL_WIDTH)
    if not _CODE.match(text):
        if "E+" in text.upper():
            raise CellError("区划代码被保存为数值后已变形,请将该列设为文本格式后重新填写")
        raise CellError("应为12位数字的统计用区划代码")
    return text


def parse_village_code(text: str) -> str:
    code = parse_code(text)
    if level_of_code(code) != DivisionLevel.VILLAGE:
        raise CellError("应为村级区划代码(12位,后3位不全为0)")
    return code


def check_id_text(text: str) -> str:
    """Catch what parse_id_number cannot explain: an ID that Excel turned into a number, odd characters."""
    text = text.translate(FULL_WIDTH)
    if "E+" in text.upper():
        raise CellError("身份证号被保存为数值,后几位已丢失;请将该列设为文本格式后重新填写")
    if not text.isascii():
        raise CellError("身份证号无效:只能包含数字和X")
    return text


def parse_id(text: str) -> str:
    """The normalised 18-character number (15→18, x→X), or CellError."""
    try:
        return parse_id_number(check_id_text(text)).number
    except InvalidIdNumber as exc:
        raise CellError(f"身份证号无效:{exc}") from None


# Texts written the way machines write them, which the parser reads to exactly this value: checked by one regular
# expression in C per text instead of a parser call (a province's year is 4.4 M distinct amounts and 3 M ID
# numbers). comparison.datasets.parse does the same for Arrow columns.
_PLAIN_AMOUNT = re.compile(r"\d{1,12}\.\d{2}", re.ASCII)   # Decimal(text) is already quantized and < MONEY_LIMIT
_PLAIN_ID = re.compile(r"\d{17}[\dXx]|\d{15}", re.ASCII)   # nothing for check_id_text to translate or refuse


def _plain_amounts(texts: Collection[str]) -> dict[str, Any]:
    plain = list(filter(_PLAIN_AMOUNT.fullmatch, texts))
    return dict(zip(plain, map(Decimal, plain), strict=True))


def _plain_ids(texts: Collection[str]) -> dict[str, Any]:
    plain = list(filter(_PLAIN_ID.fullmatch, texts))
    return dict(zip(plain, plain, strict=True))


_QUICK: dict[Callable[..., Any], Callable[[Collection[str]], dict[str, Any]]] = {
    parse_money: _plain_amounts, check_id_text: _plain_ids}


def parse_distinct(parse: Parser, texts: set[str]) -> tuple[dict[str, Any], bool]:
    """Each of the distinct ``texts`` → its value, or the CellError ``parse`` raised for it; and whether any did.
    The texts a quick check vouches for (``_QUICK``, ``_Text.many``) are typed a column at a time; every other
    text goes through ``parse`` alone, so its error says why."""
    quick = getattr(parse, "many", None) or _QUICK.get(parse)
    parsed: dict[str, Any] = quick(texts) if quick is not None else {}
    failed = False
    for text in texts.difference(parsed) if parsed else texts:
        try:
            parsed[text] = parse(text)
        except CellError as exc:
            parsed[text] = exc
            failed = True
    return parsed, failed
