"""Monitored households outside the registry (边缘户) entered by hand: the field rules, the checks against the
database, and create / update. Every write: one transaction, the acting user checked (a role that edits the
registry, the division in his scope) and recorded in the history."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from sunshine.core.choices import ROLES_THAT_EDIT_REGISTRY, DivisionLevel
from sunshine.core.ids import InvalidIdNumber, parse_id_number
from sunshine.core.models import Division, User
from sunshine.core.scope import division_visible
from sunshine.monitoring.choices import MonitoredSource
from sunshine.monitoring.models import MonitoredHousehold
from sunshine.registry.models import MemberYear

FIELDS = ("number", "year", "division_code", "head_name", "head_id_number", "phone", "members",
          "per_capita_income", "note")
REQUIRED = ("number", "year", "division_code", "head_name", "head_id_number")
EDITABLE = ("division_code", "head_name", "head_id_number", "phone", "members", "per_capita_income", "note")
CENT = Decimal("0.01")
MONEY_LIMIT = Decimal(10) ** 12
MAX_MEMBERS = 99
BATCH = 1000
Key = tuple[str, int]  # (number, year)


def chunks(items: Sequence[Any], size: int = BATCH) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def check_editor(actor: User | None, division_code: str | None = None) -> None:
    if actor is None or not (actor.is_authenticated and actor.is_active):
        raise PermissionDenied("请先登录")
    if not actor.role_set & ROLES_THAT_EDIT_REGISTRY:
        raise PermissionDenied("您的角色不能登记或修改监测户")
    if division_code is not None and not division_visible(actor, division_code):
        raise PermissionDenied("该区划不在您的管辖范围内")


# --- field rules (no database) -------------------------------------------------------------------------


def _text(value: Any, max_length: int) -> tuple[str, str | None]:
    text = "" if value is None else str(value).strip()
    if len(text) > max_length:
        return text, f"不能超过{max_length}个字符(现有{len(text)}个)"
    return text, None


def clean(fields: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Typed values of the given fields and the errors (field → Chinese message), without the database."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, limit in (("number", 30), ("head_name", 100), ("phone", 20), ("note", 2000)):
        if name in fields:
            values[name], problem = _text(fields[name], limit)
            if problem:
                errors[name] = problem
    if "year" in fields:
        try:
            values["year"] = int(fields["year"])
            if not 1900 <= values["year"] <= 2100:
                errors["year"] = "应为1900至2100之间的年份"
        except (TypeError, ValueError):
            errors["year"] = "应为四位数字的年份,如 2020"
    if "division_code" in fields:
        code = str(fields["division_code"] or "").strip()
        values["division_code"] = code
        if not (len(code) == 12 and code.isdigit()):
            errors["division_code"] = "应为12位数字的统计用区划代码"
    if "head_id_number" in fields:
        try:
            values["head_id_number"] = parse_id_number(fields["head_id_number"]).number
        except InvalidIdNumber as exc:
            values["head_id_number"] = str(fields["head_id_number"] or "")
            errors["head_id_number"] = f"身份证号无效:{exc}"
    if "members" in fields:
        members = fields["members"]
        if members in (None, ""):
            values["members"] = None
        else:
            try:
                values["members"] = int(members)
                if not 1 <= values["members"] <= MAX_MEMBERS:
                    errors["members"] = f"家庭人口应为1至{MAX_MEMBERS}之间的整数"
            except (TypeError, ValueError):
                errors["members"] = "家庭人口应为整数"
    if "per_capita_income" in fields:
        income = fields["per_capita_income"]
        if income in (None, ""):
            values["per_capita_income"] = None
        else:
            try:
                values["per_capita_income"] = Decimal(str(income)).quantize(CENT)
                if abs(values["per_capita_income"]) >= MONEY_LIMIT:
                    errors["per_capita_income"] = "金额过大(应小于一万亿元)"
            except (InvalidOperation, ValueError):
                errors["per_capita_income"] = "应为金额数字(单位:元,如 1234.50)"
    for name in REQUIRED:
        if name in fields and not values.get(name) and name not in errors:
            errors[name] = "必填"
    return values, errors


# --- checks against the database (a few queries for any number of rows) -------------------------------


def database_errors(actor: User, rows: Sequence[dict[str, Any]], *,
                    own: Sequence[int | None] | None = None) -> list[dict[str, str]]:
    """For each complete row (typed values of FIELDS), what the database forbids: an unknown village, a
    division outside the actor's scope, a head already in the registry that year, a head already monitored
    that year under another number. ``own``: the pk each row is allowed to clash with (itself)."""
    own = list(own) if own is not None else [None] * len(rows)
    codes = sorted({r["division_code"] for r in rows})
    villages = set(Division.objects.filter(code__in=codes, level=DivisionLevel.VILLAGE).values_list("code", flat=True))
    years = sorted({r["year"] for r in rows})
    ids = sorted({r["head_id_number"] for r in rows})
    registered: set[tuple[str, int]] = set()
    monitored: dict[tuple[str, int], list[tuple[int, str]]] = {}
    for chunk in chunks(ids):
        registered.update(MemberYear.objects.filter(person__id_number__in=chunk, year__in=years)
                          .values_list("person__id_number", "year"))
        for pk, number, year, id_number in (MonitoredHousehold.objects.filter(head_id_number__in=chunk,
                                                                              year__in=years)
                                            .values_list("pk", "number", "year", "head_id_number")):
            monitored.setdefault((id_number, year), []).append((pk, number))
    out = []
    for row, pk in zip(rows, own, strict=True):
        errors: dict[str, str] = {}
        if row["division_code"] not in villages:
            errors["division_code"] = "区划代码不是已知的村(监测户应登记到村)"
        elif not division_visible(actor, row["division_code"]):
            errors["division_code"] = "该村不在您的管辖范围内"
        person = (row["head_id_number"], row["year"])
        if person in registered:
            errors["head_id_number"] = f"此人{row['year']}年度已是建档立卡户的成员,不是档外监测户"
        else:
            others = [number for other, number in monitored.get(person, []) if other != pk and number != row["number"]]
            if others:
                errors["head_id_number"] = f"此人{row['year']}年度已登记为监测户 {others[0]} 的户主"
        out.append(errors)
    return out


def _raise(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationError({k: [v] for k, v in errors.items()})


def _save(instance: MonitoredHousehold, actor: User) -> None:
    instance._history_user = actor  # simple-history reads the acting user from here outside a request
    instance.save()


@transaction.atomic
def create_monitored(*, actor: User, source: str = MonitoredSource.MANUAL, **fields: Any) -> MonitoredHousehold:
    """Register a household outside the registry for monitoring (fields: FIELDS; division_code a village)."""
    check_editor(actor)
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValidationError({k: ["不是监测户信息字段"] for k in sorted(unknown)})
    values, errors = clean({name: fields.get(name) for name in FIELDS})
    _raise(errors)
    check_editor(actor, values["division_code"])
    if MonitoredHousehold.objects.filter(number=values["number"], year=values["year"]).exists():
        raise ValidationError({"number": [f"监测户编号 {values['number']} 已有{values['year']}年度的记录"]})
    _raise(database_errors(actor, [values])[0])
    household = MonitoredHousehold(
        number=values["number"], year=values["year"], division_id=values["division_code"],
        head_name=values["head_name"], head_id_number=values["head_id_number"], phone=values["phone"],
        members=values["members"], per_capita_income=values["per_capita_income"], note=values["note"],
        source=source, created_by=actor,
    )
    _save(household, actor)
    return household


def current_values(household: MonitoredHousehold) -> dict[str, Any]:
    return {"number": household.number, "year": household.year, "division_code": household.division_id,
            "head_name": household.head_name, "head_id_number": household.head_id_number, "phone": household.phone,
            "members": household.members, "per_capita_income": household.per_capita_income, "note": household.note}


def apply_values(household: MonitoredHousehold, values: Mapping[str, Any]) -> bool:
    """Set the editable fields that differ; True when anything changed."""
    changed = False
    for name in EDITABLE:
        if name not in values:
            continue
        attribute = "division_id" if name == "division_code" else name
        if getattr(household, attribute) != values[name]:
            setattr(household, attribute, values[name])
            changed = True
    return changed


@transaction.atomic
def update_monitored(*, actor: User, monitored: MonitoredHousehold, **fields: Any) -> MonitoredHousehold:
    """Change the editable fields (EDITABLE; the number and year identify the household and stay)."""
    check_editor(actor, monitored.division_id)
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError({k: ["不是可修改的监测户字段"] for k in sorted(unknown)})
    values, errors = clean(fields)
    _raise(errors)
    merged = current_values(monitored) | values
    if merged["division_code"] != monitored.division_id:
        check_editor(actor, merged["division_code"])
    problems = database_errors(actor, [merged], own=[monitored.pk])[0]
    if merged["division_code"] == monitored.division_id:
        # A household found by comparison may sit at county level until someone places it in its village.
        problems.pop("division_code", None)
    _raise(problems)
    if apply_values(monitored, values):
        _save(monitored, actor)
    return monitored
