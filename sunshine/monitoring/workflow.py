"""The lifecycle of a warning (policy-rules.md §5): 待核实 → 已核实(属实 / 不属实) → 帮扶中 (measures) → 风险消除,
or 转入识别程序 (handed over to the identification procedure).

Each step is one transaction: the warning row is locked and its status checked again inside it (two cadres
pressing the button at once must not both pass), the status changes, and a WarningEvent records the acting
user, the from/to status and the note. The event is the audit record of the step.

Who may act: village clerks, township reviewers, county managers and administrators whose division contains
the warning's division. A warning escalated to the township or the county (督办层级) lies inside those levels'
divisions, so they may act on it as well. Supervisors and provincial analysts read only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from sunshine.core.choices import Role
from sunshine.core.scope import division_visible
from sunshine.core.signals import announce_change
from sunshine.monitoring.choices import MeasureKind, WarningStatus
from sunshine.monitoring.models import EarlyWarning, Measure, WarningEvent
from sunshine.policy.parameters import StandardParameters

if TYPE_CHECKING:
    from sunshine.core.models import User

ROLES_THAT_ACT = frozenset({Role.VILLAGE_CLERK, Role.TOWNSHIP_REVIEWER, Role.COUNTY_MANAGER, Role.ADMIN})
DEFAULT_DEADLINE_DAYS = StandardParameters().verification_days  # the policy standard's default
MAX_NOTE_LENGTH = 2000
MAX_AMOUNT = Decimal("999999999999.99")  # the column holds 14 digits, 2 of them decimals

# WarningEvent.action values written here; the monitoring run writes its own (raised, escalated, …).
VERIFY, MEASURE, CLEAR, HAND_OVER = "verify", "measure", "clear", "hand_over"

S = WarningStatus
# The steps each status allows, in the order the page offers them.
STEPS: dict[str, tuple[str, ...]] = {
    S.PENDING: (VERIFY,),
    S.CONFIRMED: (MEASURE, HAND_OVER),
    S.ASSISTING: (MEASURE, CLEAR, HAND_OVER),
}


def today() -> dt.date:
    """The date deadlines are compared with (local time); selectors take ``today`` to let tests fix it."""
    return timezone.localdate()


def is_overdue(warning: EarlyWarning, on: dt.date | None = None) -> bool:
    """Not verified by its deadline (only verification has a deadline)."""
    return warning.status == S.PENDING and warning.deadline < (on or today())


def may_act(actor: User | None, warning: EarlyWarning) -> bool:
    """Whether ``actor`` may take steps on this warning (status aside)."""
    return bool(
        actor is not None and actor.is_authenticated and actor.is_active
        and actor.role_set & ROLES_THAT_ACT and division_visible(actor, warning.division_id)
    )


def next_steps(actor: User | None, warning: EarlyWarning) -> tuple[str, ...]:
    """The steps this actor may take on the warning now (empty when none)."""
    if not may_act(actor, warning):
        return ()
    return STEPS.get(warning.status, ())


def _check_actor(actor: User | None, warning: EarlyWarning) -> None:
    if actor is None or not (actor.is_authenticated and actor.is_active):
        raise PermissionDenied("请先登录")
    if not division_visible(actor, warning.division_id):
        raise PermissionDenied("该预警不在您的管辖范围内")
    if not actor.role_set & ROLES_THAT_ACT:
        raise PermissionDenied("您的角色只能查看监测预警,核实、帮扶和消除风险由村、乡镇、县级人员办理")


def _clean_text(text: str | None, field: str, what: str) -> str:
    value = (text or "").strip()
    if not value:
        raise ValidationError({field: [f"请填写{what}"]})
    if len(value) > MAX_NOTE_LENGTH:
        raise ValidationError({field: [f"{what}最多 {MAX_NOTE_LENGTH} 个字"]})
    return value


def _clean_date(value: dt.date | None, field: str, what: str) -> dt.date:
    if not isinstance(value, dt.date):
        raise ValidationError({field: [f"请填写{what}"]})
    if value > today():
        raise ValidationError({field: [f"{what}不能晚于今天"]})
    return value


def _clean_amount(value: Decimal | int | str | None) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValidationError({"amount": ["金额须为数字"]}) from exc
    if not amount.is_finite() or amount < 0:
        raise ValidationError({"amount": ["金额不能为负数"]})
    if amount > MAX_AMOUNT:
        raise ValidationError({"amount": ["金额过大"]})
    return amount.quantize(Decimal("0.01"))


def _wrong(expected: tuple[str, ...], what: str, status: str) -> ValidationError:
    names = "、".join(f"“{S(s).label}”" for s in expected)
    return ValidationError({"status": [f"只有{names}的预警可以{what},该预警当前为“{S(status).label}”"]})


def _step(*, actor: User, warning: EarlyWarning, expected: tuple[str, ...], what: str, to: str | None,
          action: str, note: str, fields: dict[str, object] | None = None,
          measure: dict[str, object] | None = None) -> Measure | None:
    """Lock, check the status, change it (``to`` None keeps it), write the measure if any, and the event."""
    with transaction.atomic():
        locked = EarlyWarning.objects.select_for_update().get(pk=warning.pk)
        if locked.status not in expected:
            raise _wrong(expected, what, locked.status)
        before = locked.status
        made = (Measure.objects.create(warning=locked, household_id=locked.household_id, year=locked.year,
                                       created_by=actor, **measure) if measure else None)
        changed = ["updated_at"]
        if to is not None and to != before:
            locked.status = to
            changed.append("status")
        for name, value in (fields or {}).items():
            setattr(locked, name, value)
            changed.append(name)
        locked.save(update_fields=changed)
        WarningEvent.objects.create(warning=locked, user=actor, action=action, from_status=before,
                                    to_status=locked.status, note=note)
        announce_change(sender=EarlyWarning, year=locked.year, source="monitoring")
    for name in ("status", "updated_at", *(fields or {})):
        setattr(warning, name, getattr(locked, name))
    return made


def verify(*, actor: User, warning: EarlyWarning, confirmed: bool, note: str) -> EarlyWarning:
    """Record the verification on the ground: 属实 (confirmed, help follows) or 不属实 (rejected, final)."""
    _check_actor(actor, warning)
    text = _clean_text(note, "note", "核实情况说明")
    _step(actor=actor, warning=warning, expected=(S.PENDING,), what="核实",
          to=S.CONFIRMED if confirmed else S.REJECTED, action=VERIFY, note=text)
    return warning


def measure_note(kind: str, amount: Decimal | None, note: str) -> str:
    """The event's note for a measure: its kind, amount and what was done."""
    head = MeasureKind(kind).label + (f" {amount} 元" if amount is not None else "")
    return f"{head}:{note}" if note else head


def add_measure(*, actor: User, warning: EarlyWarning, kind: str, amount: Decimal | int | str | None,
                date: dt.date, note: str = "") -> Measure:
    """Record a help measure (帮扶措施) on a confirmed or assisted warning; the first moves it to 帮扶中."""
    _check_actor(actor, warning)
    if kind not in MeasureKind.values:
        kinds = "、".join(MeasureKind.labels)
        raise ValidationError({"kind": [f"请选择措施类型({kinds})"]})
    value = _clean_amount(amount)
    on = _clean_date(date, "date", "措施日期")
    text = (note or "").strip()
    if len(text) > MAX_NOTE_LENGTH:
        raise ValidationError({"note": [f"说明最多 {MAX_NOTE_LENGTH} 个字"]})
    made = _step(actor=actor, warning=warning, expected=(S.CONFIRMED, S.ASSISTING), what="记录帮扶措施",
                 to=S.ASSISTING, action=MEASURE, note=measure_note(kind, value, text),
                 measure={"kind": kind, "amount": value, "date": on, "note": text})
    assert made is not None
    return made


def clear(*, actor: User, warning: EarlyWarning, reason: str, date: dt.date) -> EarlyWarning:
    """风险消除: the help has worked. Not before the latest measure's date."""
    _check_actor(actor, warning)
    text = _clean_text(reason, "reason", "风险消除理由")
    on = _clean_date(date, "date", "风险消除日期")
    latest = warning.measures.order_by("-date").values_list("date", flat=True).first()
    if latest is not None and on < latest:
        raise ValidationError({"date": [f"风险消除日期不能早于最后一次帮扶措施的日期({latest:%Y-%m-%d})"]})
    _step(actor=actor, warning=warning, expected=(S.ASSISTING,), what="消除风险", to=S.CLEARED, action=CLEAR,
          note=text, fields={"resolution_note": text, "resolved_on": on})
    return warning


def hand_over(*, actor: User, warning: EarlyWarning, note: str) -> EarlyWarning:
    """转入识别程序: the household needs to be (re-)entered into the registry. The warning is closed here with
    status handed_over; the identification procedure of the workflow app picks handed-over warnings up
    (EarlyWarning.objects.filter(status="handed_over")) and starts the entry procedure from them."""
    _check_actor(actor, warning)
    text = _clean_text(note, "note", "转入识别程序的说明")
    _step(actor=actor, warning=warning, expected=(S.CONFIRMED, S.ASSISTING), what="转入识别程序",
          to=S.HANDED_OVER, action=HAND_OVER, note=text,
          fields={"resolution_note": text, "resolved_on": today()})
    return warning
