"""A case's payload as people read it: one presenter for every payload type (birth, marriage in, death, move
and marriage out, entry head and members), with Chinese labels and personal data masked by the reader's role.

The API (sunshine.workflow.display) and the case page both go through ``mask_payload`` so that a masked role
never meets a full ID number, phone number or birth date in a payload, whatever its shape."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from sunshine.core.scope import show_id_number, show_phone, show_text

if TYPE_CHECKING:
    from sunshine.core.models import User
    from sunshine.workflow.models import Case

ID_KEYS = {"id_number", "head_id_number"}
PHONE_KEYS = {"phone", "contact", "mobile"}
DATE_KEYS = {"birth_date"}

# Payload keys and the fields of a member or household inside it.
LABELS: dict[str, Any] = {
    "member": _("新成员"), "member_id": _("成员"), "change_date": _("变更日期"), "date": _("变更日期"),
    "note": _("说明"), "head": _("户主"), "members": _("家庭成员"), "household": _("农户信息"),
    "name": _("姓名"), "id_number": _("身份证号"), "head_id_number": _("户主身份证号"), "phone": _("联系电话"),
    "relation": _("与户主关系"), "gender": _("性别"), "birth_date": _("出生日期"), "village_code": _("所在村"),
    "contact": _("联系方式"), "reason": _("理由"),
}


def _masked(reader: User) -> bool:
    return not reader.can_see_full_personal_data


def mask_value(reader: User, key: str, value: Any) -> Any:
    """One payload value as this reader may see it (recursing into members and lists)."""
    if isinstance(value, dict):
        return {k: mask_value(reader, str(k), v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_value(reader, key, v) for v in value]
    if not _masked(reader) or value is None or value == "":
        return value
    text = str(value)
    if key in ID_KEYS:
        return show_id_number(reader, text)
    if key in PHONE_KEYS:
        return show_phone(reader, text)
    if key in DATE_KEYS:
        return "****-**-**"
    return show_text(reader, text) if isinstance(value, str) else value


def mask_payload(reader: User, payload: Any) -> Any:
    return mask_value(reader, "", payload)


def _choice_label(key: str, value: Any) -> str:
    from sunshine.registry import choices as c

    table = {"relation": c.Relation, "gender": getattr(c, "Gender", None)}.get(key)
    if table is not None and value in table.values:
        return str(table(value).label)
    return str(value)


def _person(reader: User, fields: dict[str, Any]) -> str:
    """A member or head as one line: 姓名 · 关系 · 身份证号 · 电话 · 出生日期 (masked by role)."""
    shown = mask_payload(reader, fields)
    parts = []
    for key, value in shown.items():
        if value in (None, ""):
            continue
        text = _choice_label(key, value)
        parts.append(text if key == "name" else f"{LABELS.get(key, key)}:{text}")
    return " · ".join(parts) or "—"


def _member_name(case: Case, member_id: Any) -> str:
    from sunshine.registry.models import MemberYear

    try:
        member = MemberYear.objects.select_related("person", "household_year").filter(pk=int(member_id)).first()
    except (TypeError, ValueError):
        member = None
    if member is None or member.household_year.household_id != case.household_id:
        return f"#{member_id}"
    return f"{member.person.name}({member.get_relation_display()})"


def payload_rows(reader: User, case: Case) -> list[dict[str, Any]]:
    """(label, text, lines) rows of the payload for the case page; ``lines`` lists several people."""
    rows: list[dict[str, Any]] = []
    for key, value in (case.payload or {}).items():
        label = str(LABELS.get(key, key))
        if key == "member_id":
            rows.append({"label": label, "text": _member_name(case, value), "lines": []})
        elif isinstance(value, dict):
            rows.append({"label": label, "text": _person(reader, value), "lines": []})
        elif isinstance(value, list):
            rows.append({"label": label, "text": "", "lines": [
                _person(reader, v) if isinstance(v, dict) else str(mask_value(reader, key, v)) for v in value]})
        else:
            rows.append({"label": label, "text": str(mask_value(reader, key, value)), "lines": []})
    return rows
