"""What the household page shows: member rows with masking, the income breakdown, the indicators."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sunshine.core.models import User
from sunshine.core.scope import show_id_number
from sunshine.registry import choices as c
from sunshine.registry.models import HouseholdYear, MemberYear, per_capita_income


def age_on(birth: dt.date | None, on: dt.date) -> int | None:
    if birth is None:
        return None
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def member_row(reader: User, m: MemberYear) -> dict[str, Any]:
    return {
        "member": m,
        "name": m.person.name,
        "id_number": show_id_number(reader, m.person.id_number),
        "gender": m.person.get_gender_display(),
        "age": age_on(m.person.birth_date, dt.date(m.year, 9, 1)),
        "active": m.member_status == c.MemberStatus.ACTIVE,
    }


@dataclass
class IncomeLine:
    label: str
    amount: Decimal | None
    sign: str


def income_breakdown(record: HouseholdYear, members: list[MemberYear]) -> dict[str, Any]:
    lines = [
        IncomeLine(str(record._meta.get_field(f).verbose_name), getattr(record, f), sign)
        for f, sign in (("wage_income", "+"), ("business_income", "+"), ("business_expense", "−"),
                        ("property_income", "+"), ("transfer_income", "+"), ("transfer_expense", "−"))
    ]
    active = sum(1 for m in members if m.member_status == c.MemberStatus.ACTIVE)
    total = record.disposable_income()
    per_capita = per_capita_income(total, active)
    return {"lines": lines, "total": total, "active": active, "per_capita": per_capita}


def indicators(record: HouseholdYear, members: list[MemberYear]) -> list[dict[str, str]]:
    """The recorded facts behind 两不愁三保障 (the assessment itself decides from these)."""
    active = [m for m in members if m.member_status == c.MemberStatus.ACTIVE]
    uninsured = [m.person.name for m in active if m.medical_insured is not True]
    school_age_issues = []
    for m in active:
        age = age_on(m.person.birth_date, dt.date(record.year, 9, 1))
        if age is not None and 6 <= age <= 15 and m.school_status in (
            c.SchoolStatus.DROPPED_OUT, c.SchoolStatus.NOT_IN_SCHOOL
        ):
            school_age_issues.append(f"{m.person.name}({age}岁,{m.get_school_status_display()})")

    def yn(value: bool | None) -> str:
        return {True: "是", False: "否"}.get(value, "未填")

    housing = record.get_housing_grade_display() or "未填"
    if record.renovation_status:
        housing += f" · {record.get_renovation_status_display()}"
    return [
        {"label": "吃穿不愁", "value": yn(record.food_clothing_secure)},
        {"label": "饮水安全", "value": yn(record.water_safe)},
        {"label": "通生活用电", "value": yn(record.has_electricity)},
        {"label": "义务教育", "value": "、".join(school_age_issues) if school_age_issues else "无适龄失学情况"},
        {"label": "基本医疗保险", "value": ("未参保:" + "、".join(uninsured)) if uninsured else "在册成员均已参保"},
        {"label": "住房安全", "value": housing},
    ]
