"""What the case pages share: who a case is about, the rows of lists, the timeline of a case, the masking of
names on the public site, and the date notice periods are compared with."""

from __future__ import annotations

import datetime as dt
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from sunshine.core.choices import Role
from sunshine.core.scope import show_id_number
from sunshine.workflow.choices import Step
from sunshine.workflow.models import Case

if TYPE_CHECKING:
    from sunshine.core.models import User


def today() -> dt.date:
    """The date notice periods are compared with (local time)."""
    return timezone.localdate()


def _record_of_year(years: list[Any], year: int) -> Any:
    """The household's record of that year or the latest before it; else its first record."""
    before = [r for r in years if r.year <= year]
    if before:
        return max(before, key=lambda r: r.year)
    return min(years, key=lambda r: r.year, default=None)


def subject_name(case: Case) -> str:
    """The name the case is about: the household's head that year, the monitored household's head, or the
    applicant. Lists prefetch the households' years (selectors.cases): then no query per row."""
    if case.household_id:
        from sunshine.registry.models import HouseholdYear

        household = case.household
        if "years" in getattr(household, "_prefetched_objects_cache", {}):
            record = _record_of_year(list(household.years.all()), case.year)
        else:
            record = (HouseholdYear.objects.filter(household_id=case.household_id, year__lte=case.year)
                      .order_by("-year").first()
                      or HouseholdYear.objects.filter(household_id=case.household_id).order_by("year").first())
        return record.head_name if record is not None else ""
    if case.monitored_id:
        return case.monitored.head_name
    return str((case.applicant or {}).get("name", ""))


def mask_name(name: str) -> str:
    """张*三: first and last character kept, the middle replaced by one *; 张三 → 张*; 张 → 张*."""
    name = (name or "").strip()
    if not name:
        return ""
    if len(name) <= 2:
        return name[0] + "*"
    return name[0] + "*" + name[-1]


def step_label(code: str | None) -> str:
    return str(Step(code).label) if code in Step.values else (code or "")


def role_label(role: Any) -> str:
    if role is None:
        return ""
    value = getattr(role, "value", role)
    return str(Role(value).label) if value in Role.values else str(value)


def step_role(code: str) -> Any:
    """The role that signs a step, from the workflow's step table (sunshine.workflow.steps)."""
    from sunshine.workflow import steps

    return steps.role_for(code)


def case_item(case: Case) -> dict[str, Any]:
    """The fields a list row shows."""
    return {
        "id": case.pk, "case": case, "type_label": case.get_case_type_display(), "year": case.year,
        "subject": subject_name(case), "household_no": case.household.household_no if case.household_id else "",
        "division_name": case.division.name, "status": case.status, "status_label": case.get_status_display(),
        "step": case.step, "step_label": step_label(case.step), "opened_at": case.opened_at,
        "notice_start": case.notice_start, "notice_end": case.notice_end,
    }


def applicant_item(reader: User, case: Case) -> dict[str, str]:
    from sunshine.workflow.payload_display import mask_payload

    return mask_payload(reader, dict(case.applicant or {}))


def timeline(case: Case) -> list[dict[str, Any]]:
    """Every step of the case in order, with its signed actions (a rejected step may be signed again), the
    current step highlighted and the later ones pending."""
    actions: dict[int, list[Any]] = {}
    for action in case.actions.select_related("actor").order_by("at", "id"):
        actions.setdefault(action.index, []).append(action)
    open_case = case.status in ("in_progress", "on_hold")
    rows = []
    for index, code in enumerate(case.steps):
        if index < case.current_step or (not open_case and index <= case.current_step and index in actions):
            state = "done"
        elif index == case.current_step and open_case:
            state = "current"
        else:
            state = "pending"
        rows.append({
            "index": index, "code": code, "label": step_label(code), "role": role_label(step_role(code)),
            "state": state,
            "actions": [{
                "id": a.pk, "decision": a.decision, "decision_label": a.get_decision_display(), "note": a.note,
                "actor": a.actor, "at": a.at,
                "attachment_name": PurePath(a.attachment.name).name if a.attachment else "",
                "assessment_id": a.assessment_id,
            } for a in actions.get(index, [])],
        })
    return rows


def eligibility_item(result: Any) -> dict[str, Any] | None:
    """The eligibility box of an exit case: the latest official assessment, its run and criteria."""
    if result is None:
        return None
    from sunshine.assessment.choices import HOUSEHOLD_CRITERIA, CriterionState, Result

    states = dict(CriterionState.choices)
    return {
        "ok": result.ok, "result": result.result,
        "result_label": str(Result(result.result).label) if result.result in Result.values else "",
        "run_id": result.run_id, "standard_version": result.standard_version,
        "criteria": [{"code": code, "name": HOUSEHOLD_CRITERIA.get(code, code), "state": state,
                      "label": str(states.get(state, state))} for code, state in result.criteria.items()],
        "explanation": result.explanation, "message": result.message,
    }


_MODEL_LABELS = {"Household": "农户", "HouseholdYear": "农户年度记录", "MemberYear": "成员", "Person": "人员"}
_ID_FIELDS = {"id_number", "head_id_number"}
_DATE_FIELDS = {"birth_date"}


def _field(model: str, name: str) -> Any:
    from django.apps import apps

    try:
        return apps.get_model("registry", model)._meta.get_field(name)
    except LookupError:
        return None
    except Exception:  # noqa: BLE001 — a field renamed since the case was approved: show its name
        return None


def _shown(reader: User, field: Any, name: str, value: Any) -> str:
    from sunshine.core.ids import mask_text

    if value is None or value == "":
        return "—"
    choices = dict(getattr(field, "choices", None) or [])
    if value in choices:
        return str(choices[value])
    text = str(value)
    if name in _ID_FIELDS:
        return show_id_number(reader, text)
    if name in _DATE_FIELDS and not reader.can_see_full_personal_data:
        return "****-**-**"
    return text if reader.can_see_full_personal_data else mask_text(text)


def registry_change_items(reader: User, changes: list[dict[str, Any]]) -> list[dict[str, str]]:
    """What an approved case changed in the registry, as this reader may see it."""
    out = []
    for ch in changes or []:
        model, name = str(ch.get("model", "")), str(ch.get("field", ""))
        field = _field(model, name)
        out.append({"what": f"{_MODEL_LABELS.get(model, model)} #{ch.get('pk', '')}",
                    "field": str(field.verbose_name) if field is not None else name,
                    "old": _shown(reader, field, name, ch.get("old")),
                    "new": _shown(reader, field, name, ch.get("new"))})
    return out
