"""The warning lifecycle: transitions (allowed and refused), who may act, the checks on notes, amounts and dates,
the events written, and the selectors' overdue list and counts with a fixed "today"."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from sunshine.monitoring import selectors, workflow
from sunshine.monitoring.choices import EscalationLevel, MeasureKind, WarningStatus
from sunshine.monitoring.models import EarlyWarning, Measure, WarningEvent
from sunshine.monitoring.tests import factories as mf
from sunshine.testing import factories as f

S = WarningStatus
PENDING, CONFIRMED, REJECTED, ASSISTING, CLEARED, HANDED = (
    S.PENDING, S.CONFIRMED, S.REJECTED, S.ASSISTING, S.CLEARED, S.HANDED_OVER)
YESTERDAY = dt.date.today() - dt.timedelta(days=1)


@pytest.fixture
def run(users):
    return mf.make_run(actor=users["county"])


def step(name, actor, warning, confirmed=True):
    if name == "verify":
        return workflow.verify(actor=actor, warning=warning, confirmed=confirmed, note="入户核实")
    if name == "measure":
        return workflow.add_measure(actor=actor, warning=warning, kind=MeasureKind.TEMPORARY_RELIEF,
                                    amount=Decimal("2000"), date=YESTERDAY, note="发放临时救助金")
    if name == "clear":
        return workflow.clear(actor=actor, warning=warning, reason="收入恢复", date=YESTERDAY)
    return workflow.hand_over(actor=actor, warning=warning, note="转入识别程序")


# (status before, step, verification result, status after or None when refused)
TRANSITIONS = [
    (PENDING, "verify", True, CONFIRMED),
    (PENDING, "verify", False, REJECTED),
    (PENDING, "measure", None, None),
    (PENDING, "clear", None, None),
    (PENDING, "hand_over", None, None),
    (CONFIRMED, "measure", None, ASSISTING),
    (CONFIRMED, "hand_over", None, HANDED),
    (CONFIRMED, "verify", True, None),
    (CONFIRMED, "clear", None, None),
    (ASSISTING, "measure", None, ASSISTING),
    (ASSISTING, "clear", None, CLEARED),
    (ASSISTING, "hand_over", None, HANDED),
    (ASSISTING, "verify", False, None),
    (REJECTED, "verify", True, None),
    (REJECTED, "measure", None, None),
    (REJECTED, "hand_over", None, None),
    (CLEARED, "measure", None, None),
    (CLEARED, "clear", None, None),
    (CLEARED, "verify", True, None),
    (HANDED, "measure", None, None),
    (HANDED, "clear", None, None),
    (HANDED, "hand_over", None, None),
]


@pytest.mark.parametrize(("before", "name", "confirmed", "after"), TRANSITIONS)
def test_transitions(users, run, household_a, before, name, confirmed, after):
    warning = mf.make_warning(run=run, household_year=household_a, status=before)
    events = WarningEvent.objects.filter(warning=warning)
    if after is None:
        with pytest.raises(ValidationError) as exc:
            step(name, users["clerk"], warning, confirmed)
        assert "当前为" in str(exc.value.message_dict["status"])
        assert EarlyWarning.objects.get(pk=warning.pk).status == before
        assert events.count() == 1 and not Measure.objects.filter(warning=warning).exists()
        return
    step(name, users["clerk"], warning, confirmed)
    assert warning.status == after and EarlyWarning.objects.get(pk=warning.pk).status == after
    event = events.latest("id")
    assert (event.user, event.action, event.from_status, event.to_status) == (users["clerk"], name, before, after)
    assert Measure.objects.filter(warning=warning).count() == (1 if name == "measure" else 0)


# (user, may act on a warning of village A)
ACTORS = [("clerk", True), ("township", True), ("county", True), ("admin", True),
          ("supervisor", False), ("analyst", False), ("clerk_b", False)]


@pytest.mark.parametrize(("who", "allowed"), ACTORS)
def test_who_may_act(users, run, household_a, who, allowed):
    warning = mf.make_warning(run=run, household_year=household_a)
    assert workflow.may_act(users[who], warning) is allowed
    assert workflow.next_steps(users[who], warning) == (("verify",) if allowed else ())
    if allowed:
        step("verify", users[who], warning)
        assert EarlyWarning.objects.get(pk=warning.pk).status == CONFIRMED
        return
    with pytest.raises(PermissionDenied):
        step("verify", users[who], warning)
    assert EarlyWarning.objects.get(pk=warning.pk).status == PENDING


def test_a_county_level_warning_is_for_the_county_not_the_village(users, run):
    """A household placed only by the county of its ID belongs to the county: the village clerk does not see it,
    the county manager acts on it."""
    outside = mf.make_monitored(division=f.COUNTY)
    warning = mf.make_warning(run=run, monitored=outside)
    assert not workflow.may_act(users["clerk"], warning)
    with pytest.raises(Http404):
        selectors.get_warning(users["clerk"], warning.pk)
    step("verify", users["county"], warning)
    assert warning.status == CONFIRMED


def test_escalated_warnings_are_acted_on_by_the_escalated_level(users, run, household_a):
    warning = mf.make_warning(run=run, household_year=household_a, escalation=EscalationLevel.COUNTY,
                              deadline=dt.date(2020, 1, 1))
    assert workflow.next_steps(users["county"], warning) == ("verify",)
    assert workflow.next_steps(users["township"], warning) == ("verify",)
    step("verify", users["county"], warning)
    assert WarningEvent.objects.filter(warning=warning, action="verify", user=users["county"]).exists()


def test_full_life_cycle_keeps_every_step_in_the_history(users, run, household_a):
    warning = mf.make_warning(run=run, household_year=household_a)
    workflow.verify(actor=users["clerk"], warning=warning, confirmed=True, note="属实,因病支出大")
    first = workflow.add_measure(actor=users["clerk"], warning=warning, kind=MeasureKind.HEALTH, amount=None,
                                 date=YESTERDAY - dt.timedelta(days=3), note="落实大病保险")
    second = workflow.add_measure(actor=users["township"], warning=warning, kind="temporary_relief",
                                  amount="2000", date=YESTERDAY)
    assert (first.amount, first.kind, first.created_by) == (None, "health", users["clerk"])
    assert second.amount == Decimal("2000.00") and second.note == ""
    workflow.clear(actor=users["clerk"], warning=warning, reason="收入已高于监测线", date=YESTERDAY)
    stored = EarlyWarning.objects.get(pk=warning.pk)
    assert (stored.status, stored.resolution_note, stored.resolved_on) == (CLEARED, "收入已高于监测线", YESTERDAY)
    rows = list(WarningEvent.objects.filter(warning=warning).order_by("id").values_list(
        "action", "from_status", "to_status", "note"))
    assert rows == [
        ("raised", "", PENDING, ""),
        ("verify", PENDING, CONFIRMED, "属实,因病支出大"),
        ("measure", CONFIRMED, ASSISTING, "健康:落实大病保险"),
        ("measure", ASSISTING, ASSISTING, "临时救助 2000.00 元"),
        ("clear", ASSISTING, CLEARED, "收入已高于监测线"),
    ]


def test_hand_over_records_the_note_and_the_day(users, run, household_a):
    warning = mf.make_warning(run=run, household_year=household_a, status=CONFIRMED)
    workflow.hand_over(actor=users["county"], warning=warning, note="收入骤降,申请纳入建档立卡")
    stored = EarlyWarning.objects.get(pk=warning.pk)
    assert stored.status == HANDED and stored.resolution_note == "收入骤降,申请纳入建档立卡"
    assert stored.resolved_on == workflow.today()


# (step, arguments, field, message part)
BAD_INPUT = [
    ("verify", {"confirmed": True, "note": "  "}, "note", "请填写核实情况说明"),
    ("verify", {"confirmed": True, "note": "x" * 2001}, "note", "最多 2000 个字"),
    ("measure", {"kind": "cash", "amount": 1, "date": YESTERDAY}, "kind", "请选择措施类型"),
    ("measure", {"kind": "dibao", "amount": -1, "date": YESTERDAY}, "amount", "不能为负数"),
    ("measure", {"kind": "dibao", "amount": "abc", "date": YESTERDAY}, "amount", "须为数字"),
    ("measure", {"kind": "dibao", "amount": "1e15", "date": YESTERDAY}, "amount", "金额过大"),
    ("measure", {"kind": "dibao", "amount": 1, "date": None}, "date", "请填写措施日期"),
    ("measure", {"kind": "dibao", "amount": 1, "date": dt.date.today() + dt.timedelta(days=2)}, "date",
     "不能晚于今天"),
    ("clear", {"reason": "", "date": YESTERDAY}, "reason", "请填写风险消除理由"),
    ("clear", {"reason": "好转", "date": dt.date.today() + dt.timedelta(days=2)}, "date", "不能晚于今天"),
    ("clear", {"reason": "好转", "date": YESTERDAY - dt.timedelta(days=30)}, "date", "不能早于最后一次帮扶措施"),
    ("hand_over", {"note": ""}, "note", "请填写转入识别程序的说明"),
]


@pytest.mark.parametrize(("name", "kwargs", "field", "message"), BAD_INPUT)
def test_bad_input_is_refused_naming_the_field_and_changes_nothing(users, run, household_a, name, kwargs, field,
                                                                   message):
    status = {"verify": PENDING, "measure": CONFIRMED}.get(name, ASSISTING)
    warning = mf.make_warning(run=run, household_year=household_a, status=status)
    Measure.objects.create(warning=warning, kind="dibao", amount=100, date=YESTERDAY - dt.timedelta(days=10))
    service = {"verify": workflow.verify, "measure": workflow.add_measure, "clear": workflow.clear,
               "hand_over": workflow.hand_over}[name]
    with pytest.raises(ValidationError) as exc:
        service(actor=users["clerk"], warning=warning, **kwargs)
    assert any(message in m for m in exc.value.message_dict[field]), exc.value.message_dict
    assert EarlyWarning.objects.get(pk=warning.pk).status == status
    assert WarningEvent.objects.filter(warning=warning).count() == 1 and warning.measures.count() == 1


def test_a_stale_copy_cannot_take_a_step_twice(users, run, household_a):
    """Two cadres open the same pending warning; the second verification is refused."""
    warning = mf.make_warning(run=run, household_year=household_a)
    stale = EarlyWarning.objects.get(pk=warning.pk)
    workflow.verify(actor=users["clerk"], warning=warning, confirmed=False, note="不属实")
    with pytest.raises(ValidationError):
        workflow.verify(actor=users["township"], warning=stale, confirmed=True, note="属实")
    assert EarlyWarning.objects.get(pk=warning.pk).status == REJECTED
    assert WarningEvent.objects.filter(warning=warning, action="verify").count() == 1


# --- selectors ----------------------------------------------------------------------------------------


@pytest.fixture
def spread(users, run, household_a, household_b):
    """Village A: pending overdue (village), pending overdue escalated to the county, pending in time,
    assisting; village B: pending overdue escalated to the township."""
    on = dt.date(2020, 6, 30)
    return on, {
        "late_village": mf.make_warning(run=run, household_year=household_a, deadline=dt.date(2020, 6, 20),
                                        codes=["M-UNSTABLE"], score=40),
        "late_county": mf.make_warning(run=run, household_year=household_a, deadline=dt.date(2020, 5, 1),
                                       escalation=EscalationLevel.COUNTY, codes=["M-UNSTABLE", "M-SUDDEN"],
                                       score=90),
        "in_time": mf.make_warning(run=run, household_year=household_a, deadline=dt.date(2020, 7, 10),
                                   codes=["M-SLIP"], score=20),
        "assisting": mf.make_warning(run=run, household_year=household_a, deadline=dt.date(2020, 5, 1),
                                     status=ASSISTING, codes=["M-SUDDEN"], score=70,
                                     assigned_to=users["clerk"]),
        "late_b": mf.make_warning(run=run, household_year=household_b, deadline=dt.date(2020, 6, 1),
                                  escalation=EscalationLevel.TOWNSHIP, codes=["M-UNSTABLE"]),
    }


def test_overdue_list_with_a_fixed_today_puts_the_county_escalations_first(users, spread):
    on, w = spread
    assert list(selectors.overdue(users["clerk"], today=on)) == [w["late_county"], w["late_village"]]
    assert list(selectors.overdue(users["county"], today=on)) == [w["late_county"], w["late_b"], w["late_village"]]
    assert list(selectors.overdue(users["county"], today=dt.date(2020, 5, 2))) == [w["late_county"]]
    assert workflow.is_overdue(w["late_village"], on) and not workflow.is_overdue(w["in_time"], on)
    assert not workflow.is_overdue(w["assisting"], on)  # only verification has a deadline


def test_counts_by_code_and_status_over_the_filtered_set(users, spread, django_assert_num_queries):
    on, w = spread
    qs = selectors.warnings(users["clerk"], today=on)
    with django_assert_num_queries(1):
        by_code = {c["code"]: c["n"] for c in selectors.counts_by_code(qs)}
    with django_assert_num_queries(1):
        by_status = {c["status"]: c["n"] for c in selectors.counts_by_status(qs)}
    assert by_code == {"M-UNSTABLE": 2, "M-EDGE": 0, "M-SUDDEN": 2, "M-SLIP": 1}
    assert by_status == {PENDING: 3, CONFIRMED: 0, REJECTED: 0, ASSISTING: 1, CLEARED: 0, HANDED: 0}
    county = selectors.warnings(users["county"], selectors.WarningFilter(code="M-UNSTABLE"), today=on)
    assert {c["status"]: c["n"] for c in selectors.counts_by_status(county)}[PENDING] == 3


# (filter, names expected for the county manager)
FILTERS = [
    ({"code": "M-SUDDEN"}, {"late_county", "assisting"}),
    ({"status": ASSISTING}, {"assisting"}),
    ({"escalation": EscalationLevel.TOWNSHIP}, {"late_b"}),
    ({"overdue": True}, {"late_village", "late_county", "late_b"}),
    ({"score_min": 60}, {"late_county", "assisting", "late_b"}),
    ({"score_min": 30, "score_max": 70}, {"late_village", "assisting", "late_b"}),
    ({"division": f.VILLAGE_B}, {"late_b"}),
    ({"division": f.TOWNSHIP_A, "code": "M-SLIP"}, {"in_time"}),
    ({"year": 2019}, set()),
]


@pytest.mark.parametrize(("wanted", "expected"), FILTERS)
def test_filters(users, spread, wanted, expected):
    on, w = spread
    found = set(selectors.warnings(users["county"], selectors.WarningFilter(**wanted), today=on))
    assert found == {w[name] for name in expected}


def test_assigned_to_me(users, spread):
    on, w = spread
    mine = selectors.WarningFilter(mine=True)
    assert list(selectors.warnings(users["clerk"], mine, today=on)) == [w["assisting"]]
    assert list(selectors.warnings(users["county"], mine, today=on)) == []
