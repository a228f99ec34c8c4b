"""A straightforward per-household Python implementation of the §1 household assessment.

It exists to check the SQL (tests compare both on generated households, explanation included) and as
the baseline of benchmarks/assess.py. It is what a loop over one household at a time looks like; the
engine never uses it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from sunshine.engine import vocabulary as v
from sunshine.engine.assessment.rules import Rules, amount_text

Row = Mapping[str, Any]
_STATE_TEXT = {0: v.PASS, 1: v.MISSING, 2: v.FAIL}
_RESULT_TEXT = {0: v.MEETS, 1: v.INCOMPLETE, 2: v.FAILS}


def _blank(value: Any) -> Any:
    return None if value == "" else value


def _yes_no(value: bool | None) -> int:
    return 1 if value is None else (0 if value else 2)


def age_on(birth: dt.date | None, year: int, month: int, day: int) -> int | None:
    if birth is None:
        return None
    return year - birth.year - (1 if (birth.month, birth.day) > (month, day) else 0)


def _member_order(m: Row) -> tuple[Any, ...]:
    """Oldest first, then by name (the engine breaks remaining ties by the text itself)."""
    birth = m["birth_date"]
    return (birth is None, birth or dt.date.min, m["name"] or "")


def assess_household(household: Row, members: Iterable[Row], rules: Rules, year: int) -> dict[str, Any]:
    """The engine's output row for one household (``members``: all its member rows of the year)."""
    active = []
    for m in members:
        status = _blank(m["member_status"]) or v.MEMBER_ACTIVE
        if m["year"] == year and status == v.MEMBER_ACTIVE:
            active.append(m)
    active.sort(key=_member_order)

    edu_state, med_state = 0, 0
    edu_reasons: list[tuple[Any, str]] = []  # (member order, text)
    edu_notes: list[tuple[Any, str]] = []
    med_reasons: list[tuple[Any, str]] = []
    for m in active:
        key, name = _member_order(m), m["name"] or ""
        age = age_on(m["birth_date"], year, rules.age_cutoff_month, rules.age_cutoff_day)
        school, education = _blank(m["school_status"]), _blank(m["education_level"])
        who = f"成员{name}" + ("" if age is None else f"({age}岁)")
        in_range = age is None or rules.school_age_min <= age <= rules.school_age_max
        state = 0
        passing = school in v.SCHOOL_STATUSES_PASSING or (
            school == v.NOT_IN_SCHOOL and education in v.COMPLETED_JUNIOR)
        if not in_range or passing:
            state = 0
        elif age is None:
            state = 1
            school_text = ("在校生状况缺数据" if school is None
                           else f"在校生状况为{_label(school, v.SCHOOL_STATUS_LABELS)}")
            edu_reasons.append((key, f"成员{name}出生日期缺数据,无法判断是否处于义务教育年龄,{school_text}"))
        elif school is None:
            state = 1
            edu_reasons.append((key, f"{who}在校生状况缺数据"))
        elif school == v.DROPPED_OUT:
            state = 2
            edu_reasons.append((key, f"{who}在校生状况为辍学"))
        elif school == v.NOT_IN_SCHOOL and education is not None:
            state = 2
            level = _label(education, v.EDUCATION_LEVEL_LABELS)
            edu_reasons.append((key, f"{who}为非在校生,文化程度为{level},未完成初中"))
        else:
            state = 1
            edu_reasons.append((key, f"{who}为非在校生,文化程度缺数据"))
        edu_state = max(edu_state, state)
        if school == v.SUSPENDED and in_range:
            edu_notes.append((key, f"{who}在校生状况为休学"))
        med = _yes_no(m["medical_insured"])
        med_state = max(med_state, med)
        if med == 2:
            med_reasons.append((key, f"成员{name}未参加基本医疗保险"))
        elif med == 1:
            med_reasons.append((key, f"成员{name}基本医疗保险缺数据"))

    items = [household[col] for col, _, _ in v.INCOME_ITEMS]
    per_capita_cents = None
    if any(x is None for x in items) or not active:
        inc_state = 1
    else:
        total = sum((Decimal(x) * sign for x, (_, _, sign) in zip(items, v.INCOME_ITEMS, strict=True)), Decimal(0))
        cents = int(total * 100)
        per_capita_cents = abs(cents) // len(active) * (1 if cents >= 0 else -1)  # truncated toward zero
        inc_state = 0 if per_capita_cents >= rules.income_line_cents else 2

    food_state = _yes_no(household["food_clothing_secure"])
    water_state = _yes_no(household["water_safe"])
    grade, renovation = _blank(household["housing_grade"]), _blank(household["renovation_status"])
    if grade in v.SAFE_HOUSING_GRADES or renovation == v.RENOVATION_DONE:
        house_state = 0
    elif grade in v.DANGEROUS_HOUSING_GRADES and renovation is not None:
        house_state = 2
    else:
        house_state = 1

    states = [inc_state, food_state, water_state, edu_state, med_state, house_state]
    worst = max(states)
    line = amount_text(rules.income_line)
    if worst == 0:
        text = f"达标:人均可支配收入{_cents(per_capita_cents)}元,不低于收入标准{line}元;两不愁三保障均有保障。"
    else:
        reasons: list[str] = []
        if inc_state == 2:
            reasons.append(f"人均可支配收入{_cents(per_capita_cents)}元,低于收入标准{line}元")
        elif inc_state == 1 and not active:
            reasons.append("无在册成员,无法计算人均可支配收入")
        elif inc_state == 1:
            missing = [label for (col, label, _), x in zip(v.INCOME_ITEMS, items, strict=True) if x is None]
            reasons.append("、".join(missing) + "缺数据")
        if food_state:
            reasons.append("吃穿不愁为否" if food_state == 2 else "吃穿不愁缺数据")
        if water_state:
            reasons.append("饮水安全为否" if water_state == 2 else "饮水安全缺数据")
        if edu_state:
            reasons.append(_joined(edu_reasons))
        if med_state:
            reasons.append(_joined(med_reasons))
        if house_state:
            reasons.append(_house_reason(grade, renovation))
        text = f"{'缺数据' if worst == 1 else '未达标'}:{';'.join(reasons)}。"
    if edu_notes:
        text += f"备注:{_joined(edu_notes)}。"
    return {
        "household_no": household["household_no"], "year": year, "active_members": len(active),
        "per_capita_income": None if per_capita_cents is None else Decimal(per_capita_cents) / 100,
        "h_inc": _STATE_TEXT[inc_state], "h_food": _STATE_TEXT[food_state], "h_water": _STATE_TEXT[water_state],
        "h_edu": _STATE_TEXT[edu_state], "h_med": _STATE_TEXT[med_state], "h_house": _STATE_TEXT[house_state],
        "result": _RESULT_TEXT[worst], "explanation": text,
    }


def _joined(texts: list[tuple[Any, str]]) -> str:
    return ";".join(text for _, text in sorted(texts))


def _label(code: str, labels: Mapping[str, str]) -> str:
    return labels.get(code, code)


def _cents(cents: int | None) -> str:
    assert cents is not None
    return f"{cents / 100:.2f}"


def _house_reason(grade: str | None, renovation: str | None) -> str:
    if grade is None and renovation is None:
        return "住房安全等级缺数据"
    if grade is None:
        return f"住房安全等级缺数据,危房改造状态为{_label(renovation or '', v.RENOVATION_LABELS)}"
    if renovation is None:
        return f"住房安全等级为{grade},危房改造状态缺数据"
    return f"住房安全等级为{grade},危房改造状态为{_label(renovation, v.RENOVATION_LABELS)}"


def assess_households(households: Iterable[Row], members: Iterable[Row], params: Mapping[str, Any],
                      year: int) -> list[dict[str, Any]]:
    """Every household of the year not 已销户, one at a time, ordered by household_no."""
    rules = Rules.from_mapping(params)
    by_household: dict[str, list[Row]] = {}
    for m in members:
        by_household.setdefault(m["household_no"], []).append(m)
    chosen = [h for h in households if h["year"] == year and h["status"] in v.REGISTERED_STATUSES]
    chosen.sort(key=lambda h: h["household_no"])
    return [assess_household(h, by_household.get(h["household_no"], ()), rules, year) for h in chosen]
