"""Reading grievances: scope, whistle-blower protection, statistics and the public progress page.

Whistle-blower protection is enforced HERE, not in templates: no selector but ``reporter_for`` returns the
reporter's name or phone, and it returns them only to a supervisor (监督) whose division is the grievance's
county or above, writing the access log on every such read. The querysets below defer the two encrypted
reporter columns, so a page, an export or an API schema built from them cannot show them by mistake; the
list and export rows are plain dictionaries without reporter keys."""

from __future__ import annotations

import datetime as dt
import statistics
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from sunshine.core.audit import log_access
from sunshine.core.choices import AccessAction, Role
from sunshine.core.ids import mask_free_text
from sunshine.grievance.choices import AWAITING_ACCEPTANCE, AWAITING_CONCLUSION, Category, State
from sunshine.grievance.models import Grievance, GrievanceEvent
from sunshine.grievance.services import NOT_FOUND, code_hash

if TYPE_CHECKING:
    from django.http import HttpRequest

    from sunshine.core.models import User

REPORTER_FIELDS = ("reporter_name", "reporter_phone")
OBJECT_TYPE = "grievance_reporter"


def _base() -> QuerySet[Grievance]:
    return (Grievance.objects.defer(*REPORTER_FIELDS)
            .select_related("division", "handling_division", "escalated_to", "household", "cadre"))


def visible_grievances(reader: User) -> QuerySet[Grievance]:
    """Grievances whose handling division (or the division now supervising it) lies inside the reader's; and,
    for an assistance cadre with an account, the accepted grievances about the households paired with them —
    except any grievance about that cadre themself."""
    if not (reader.is_authenticated and reader.is_active):
        return Grievance.objects.none()
    prefix = reader.scope_prefix
    q = Q(pk__in=[])
    if prefix is not None:
        q = Q(handling_division__code__startswith=prefix) | Q(escalated_to__code__startswith=prefix)
    q |= _as_cadre(reader)
    return _base().filter(q)


def _as_cadre(reader: User) -> Q:
    from sunshine.assistance.selectors import cadre_of_user, households_of

    cadre = cadre_of_user(reader)
    if cadre is None:
        return Q(pk__in=[])
    return (Q(household__in=households_of(cadre).values("pk")) & ~Q(cadre=cadre)
            & ~Q(state__in=(State.REGISTERED, State.REJECTED)))


def grievance_for(reader: User, pk: int) -> Grievance:
    found = visible_grievances(reader).filter(pk=pk).first()
    if found is None:
        raise Http404(NOT_FOUND)
    return found


def may_see_reporter(reader: User | None, grievance: Grievance) -> bool:
    """Supervisors of the grievance's county or above; nobody else (not administrators, not the handlers)."""
    if reader is None or not reader.is_authenticated or not reader.is_active:
        return False
    prefix = reader.scope_prefix
    return bool(reader.has_role(Role.SUPERVISOR) and prefix is not None and len(prefix) <= 6
                and grievance.division_id.startswith(prefix))


def reporter_for(reader: User | None, grievance: Grievance, request: HttpRequest | None = None,
                 via: AccessAction = AccessAction.VIEW_FULL) -> dict[str, Any] | None:
    """The reporter's name and phone for a reader allowed to see them (logged), else None."""
    if not may_see_reporter(reader, grievance):
        return None
    if grievance.anonymous:
        return {"anonymous": True, "name": "", "phone": ""}
    row = Grievance.objects.filter(pk=grievance.pk).values_list(*REPORTER_FIELDS).first()
    if row is None:
        return None
    log_access(user=reader, action=via, object_type=OBJECT_TYPE, object_ref=grievance.number, request=request)
    return {"anonymous": False, "name": row[0] or "", "phone": row[1] or ""}


def is_overdue(grievance: Grievance, today: dt.date) -> bool:
    deadline = grievance.deadline
    return deadline is not None and deadline < today


def overdue_q(today: dt.date) -> Q:
    return (Q(state__in=AWAITING_ACCEPTANCE, accept_by__lt=today)
            | Q(state__in=AWAITING_CONCLUSION, conclude_by__lt=today))


def filtered(reader: User, data: dict[str, Any], today: dt.date) -> QuerySet[Grievance]:
    qs = visible_grievances(reader)
    if data.get("state"):
        qs = qs.filter(state=data["state"])
    if data.get("category"):
        qs = qs.filter(category=data["category"])
    if data.get("division"):
        qs = qs.filter(division__code__startswith=_prefix(data["division"]))
    if data.get("overdue"):
        qs = qs.filter(overdue_q(today))
    return qs


def _prefix(code: str) -> str:
    from sunshine.core.models import Division

    division = Division.objects.filter(code=code).first()
    return division.prefix if division else code


def row(g: Grievance, reader: User, today: dt.date) -> dict[str, Any]:
    """A list/export row: no reporter column exists."""
    return {"id": g.pk, "number": g.number, "channel": g.get_channel_display(), "category": g.get_category_display(),
            "division": g.division.name, "division_code": g.division_id, "subject": mask_free_text(g.subject),
            "state": g.state, "state_label": g.get_state_display(), "registered_on": g.registered_on,
            "deadline": g.deadline, "overdue": is_overdue(g, today), "escalation": g.escalation,
            "escalated_to": g.escalated_to.name if g.escalated_to_id else "",
            "handling_division": g.handling_division.name, "anonymous": g.anonymous,
            "confidential": g.confidential, "outcome": g.get_outcome_display(),
            "satisfaction": g.get_satisfaction_display()}


EXPORT_COLUMNS = (("number", "编号"), ("channel", "渠道"), ("category", "类别"), ("division", "所涉区划"),
                  ("subject", "反映事项"), ("state_label", "状态"), ("registered_on", "登记日期"),
                  ("deadline", "当前期限"), ("handling_division", "承办单位"), ("escalated_to", "督办单位"),
                  ("outcome", "办理结果"), ("satisfaction", "满意度"))


def stats(qs: QuerySet[Grievance]) -> dict[str, Any]:
    """Counts by category, place (township) and state, and days from registration to conclusion."""
    plain = qs.order_by()
    by_category = dict(plain.values_list("category").annotate(n=Count("id")).values_list("category", "n"))
    by_state = dict(plain.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    places: dict[str, int] = {}
    for code, n in plain.values_list("division_id").annotate(n=Count("id")).values_list("division_id", "n"):
        key = code[:9].ljust(12, "0")
        places[key] = places.get(key, 0) + n
    from sunshine.core.models import Division

    names = dict(Division.objects.filter(code__in=places).values_list("code", "name"))
    days = [(done - start).days for start, done in plain.filter(concluded_on__isnull=False)
            .values_list("registered_on", "concluded_on")]
    return {
        "total": sum(by_state.values()),
        "by_category": [{"code": c, "label": c.label, "n": by_category.get(c.value, 0)} for c in Category],
        "by_state": [{"code": s, "label": s.label, "n": by_state.get(s.value, 0)} for s in State],
        "by_place": [{"code": code, "name": names.get(code, code), "n": n} for code, n in sorted(places.items())],
        "concluded": len(days),
        "median_days": statistics.median(days) if days else None,
        "mean_days": round(statistics.fmean(days), 1) if days else None,
    }


EVENT_LABELS = {"register": "登记", "accept": "受理", "reject": "不予受理", "assign": "转办",
                "investigate": "开始调查", "note": "调查记录", "conclude": "办结", "follow_up": "回访",
                "archive": "归档", "escalated": "逾期升级督办"}


def state_label(value: str) -> str:
    return str(State(value).label) if value in State.values else ""


# --- the public progress page ------------------------------------------------------------------------------

PUBLIC_ACTIONS = {"register": "已登记", "accept": "已受理", "reject": "不予受理", "assign": "已转办",
                  "conclude": "已办结", "follow_up": "已回访", "archive": "已归档"}


def public_progress(code: str) -> dict[str, Any] | None:
    """What the reporter sees with the query code: state, dates, the public steps (no reporter data, no
    investigators' notes, no names: free text is masked and only the reject reason is shown)."""
    if not code:
        return None
    g = (Grievance.objects.defer(*REPORTER_FIELDS).select_related("division", "assigned_division")
         .filter(query_code_hash=code_hash(code)).first())
    if g is None:
        return None
    steps = []
    events = GrievanceEvent.objects.filter(grievance=g, public=True, action__in=PUBLIC_ACTIONS).order_by("at", "id")
    for e in events:
        detail = ""
        if e.action == "reject":
            detail = mask_free_text(g.reject_reason)
        elif e.action == "assign":
            detail = e.note.split(":", 1)[0]   # 转办至XX镇 — the division only, not the operator's note
        elif e.action in ("conclude", "follow_up"):
            detail = e.note.split(":", 1)[0]   # the outcome or satisfaction label only
        steps.append({"label": PUBLIC_ACTIONS[e.action], "date": timezone.localtime(e.at).date(), "detail": detail})
    return {"number": g.number, "state": g.get_state_display(), "category": g.get_category_display(),
            "division": g.division.name, "registered_on": g.registered_on, "accept_by": g.accept_by,
            "conclude_by": g.conclude_by, "outcome": g.get_outcome_display(), "steps": steps}
