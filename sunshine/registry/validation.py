"""Rules every household and member must satisfy, whatever the way in (form, API, import).

Each function takes already-typed values and returns {field: Chinese message}; empty means valid."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sunshine.core.ids import InvalidIdNumber, parse_id_number
from sunshine.registry import choices as c

PHONE_PATTERN = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8})$")
INCOME_FIELDS = (
    "wage_income", "business_income", "business_expense",
    "property_income", "transfer_income", "transfer_expense",
)
GENDER_FROM_ID = {"男": c.Gender.MALE, "女": c.Gender.FEMALE}


def check_identity(
    id_number: str, gender: str | None, birth_date: dt.date | None
) -> tuple[str | None, str | None, dt.date | None, dict[str, str]]:
    """Normalise the ID number; fill gender and birth date from it or check that they agree."""
    try:
        info = parse_id_number(id_number)
    except InvalidIdNumber as exc:
        return None, gender, birth_date, {"id_number": f"身份证号无效:{exc}"}
    return agree_with_id(info.number, GENDER_FROM_ID[info.gender], info.birth_date, gender, birth_date)


def agree_with_id(
    number: str, id_gender: str, id_birth: dt.date, gender: str | None, birth_date: dt.date | None
) -> tuple[str, str, dt.date, dict[str, str]]:
    """``check_identity`` of a valid number whose gender (a c.Gender value) and birth date are known already (an
    import parses a whole column of numbers at once)."""
    errors: dict[str, str] = {}
    if gender and gender != id_gender:
        errors["gender"] = f"性别与身份证号不符(身份证号显示为{c.Gender(id_gender).label})"
    if birth_date and birth_date != id_birth:
        errors["birth_date"] = f"出生日期与身份证号不符(身份证号显示为{id_birth:%Y-%m-%d})"
    return number, gender or id_gender, birth_date or id_birth, errors


def check_member_fields(data: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.get("disability_level") and data.get("health") != c.Health.DISABLED:
        errors["disability_level"] = "只有健康状况为“残疾”时才能填写残疾等级"
    if data.get("disability_type") and data.get("health") != c.Health.DISABLED:
        errors["disability_type"] = "只有健康状况为“残疾”时才能填写残疾类别"
    change_date = data.get("change_date")
    if change_date and change_date > dt.date.today():
        errors["change_date"] = "变动日期不能晚于今天"
    if not (data.get("name") or "").strip():
        errors["name"] = "姓名不能为空"
    return errors


def check_household_fields(data: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    year = data.get("year")
    if year is not None and not 2000 <= year <= 2100:
        errors["year"] = "年度应在2000至2100之间"
    status = data.get("status")
    exit_year = data.get("exit_year")
    if status == c.HouseholdStatus.EXITED and exit_year is None:
        errors["exit_year"] = "状态为“已脱贫”时必须填写脱贫年度"
    for field in INCOME_FIELDS:
        value = data.get(field)
        if value is not None and Decimal(value) < 0:
            errors[field] = "金额不能为负数"
    phone = (data.get("phone") or "").strip()
    if phone and not PHONE_PATTERN.match(phone):
        errors["phone"] = "联系电话应为11位手机号或带区号的固定电话(如 0516-87654321)"
    return errors
