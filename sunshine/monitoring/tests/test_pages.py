"""Warning pages: the list (scope, masking, counts by type and status, filters, drill-down, paging), the overdue
list with a fixed "today", one warning (score, measures, history, the forms of its next step), the steps posted
from the page, and the section on the registry's household page."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from sunshine.core.models import AccessLog
from sunshine.monitoring import workflow
from sunshine.monitoring.choices import EscalationLevel, WarningStatus
from sunshine.monitoring.models import EarlyWarning, Measure, WarningEvent
from sunshine.monitoring.tests import factories as mf
from sunshine.testing import factories as f

TODAY = dt.date(2020, 6, 30)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    """The pages and the services compare deadlines and dates with this day."""
    monkeypatch.setattr(workflow, "today", lambda: TODAY)


@pytest.fixture
def run(users):
    return mf.make_run(actor=users["county"])


@pytest.fixture
def warnings(run, household_a, household_b):
    edge = mf.make_monitored(division=f.VILLAGE_A, head_name="边缘甲")
    return {
        "late": mf.make_warning(run=run, household_year=household_a, deadline=dt.date(2020, 6, 20), score=45,
                                contributions={"income_low": 30, "income_drop": 15}),
        "county": mf.make_warning(run=run, household_year=household_a, deadline=dt.date(2020, 5, 1), score=90,
                                  codes=["M-UNSTABLE", "M-SUDDEN"], escalation=EscalationLevel.COUNTY),
        "edge": mf.make_warning(run=run, monitored=edge, deadline=dt.date(2020, 7, 10), score=55),
        "assisting": mf.make_warning(run=run, household_year=household_a, status=WarningStatus.ASSISTING,
                                     codes=["M-SLIP"], deadline=dt.date(2020, 5, 1)),
        "b": mf.make_warning(run=run, household_year=household_b, deadline=dt.date(2020, 6, 1),
                             escalation=EscalationLevel.TOWNSHIP),
    }


def body(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def listed(page: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-warning="(\d+)"', page)]


def stat(page: str, attr: str, value: str) -> int:
    found = re.search(rf'data-{attr}="{re.escape(value)}"><span>[^<]*</span><strong>(\d+)</strong>', page)
    assert found, f"no {attr}={value}"
    return int(found.group(1))


def test_list_is_scoped_masked_and_counted(client, users, warnings):
    client.force_login(users["clerk"])
    page = body(client.get("/monitoring/"))
    w = warnings
    assert sorted(listed(page)) == sorted(x.pk for x in (w["late"], w["county"], w["edge"], w["assisting"]))
    assert w["b"].household.household_no not in page
    edge = w["edge"].monitored
    assert edge.head_id_number not in page and edge.head_id_number[:6] + "********" in page
    assert (stat(page, "code", "M-UNSTABLE"), stat(page, "code", "M-SUDDEN"), stat(page, "code", "M-SLIP"),
            stat(page, "code", "M-EDGE")) == (2, 1, 1, 1)
    assert (stat(page, "status", "pending"), stat(page, "status", "assisting"), stat(page, "status", "cleared")) == (
        3, 1, 0)
    assert "边缘易致贫户" in page and "甲户主" in page
    assert not AccessLog.objects.filter(user=users["clerk"]).exists()
    client.force_login(users["county"])
    page = body(client.get("/monitoring/"))
    assert edge.head_id_number in page and w["b"].pk in listed(page)
    assert AccessLog.objects.filter(user=users["county"], object_type="warning_list").exists()


# (query, names expected for the county manager)
QUERIES = [
    ("code=M-SUDDEN", {"county"}),
    ("status=assisting", {"assisting"}),
    ("escalation=township", {"b"}),
    ("overdue=on", {"late", "county", "b"}),
    ("score_min=50&score_max=59", {"edge"}),
    ("score_min=60", {"county", "assisting", "b"}),
    (f"division={f.VILLAGE_B}", {"b"}),
    ("code=M-NOPE&year=abc", {"late", "county", "edge", "assisting", "b"}),  # bad values are dropped
]


@pytest.mark.parametrize(("query", "expected"), QUERIES)
def test_filters(client, users, warnings, query, expected):
    client.force_login(users["county"])
    page = body(client.get(f"/monitoring/?{query}"))
    assert set(listed(page)) == {warnings[name].pk for name in expected}


def test_counts_follow_the_filters_and_the_household_filter(client, users, warnings, household_a):
    client.force_login(users["county"])
    page = body(client.get("/monitoring/?code=M-UNSTABLE"))
    assert stat(page, "code", "M-UNSTABLE") == 3 and stat(page, "code", "M-SUDDEN") == 1
    assert stat(page, "status", "pending") == 3 and stat(page, "status", "assisting") == 0
    page = body(client.get(f"/monitoring/?household_no={household_a.household.household_no}"))
    assert len(listed(page)) == 3


def test_assigned_to_me(client, users, run, household_a, warnings):
    mine = mf.make_warning(run=run, household_year=household_a, assigned_to=users["clerk"])
    client.force_login(users["clerk"])
    assert listed(body(client.get("/monitoring/?mine=on"))) == [mine.pk]


def test_drill_down_counts_by_the_next_level(client, users, warnings):
    client.force_login(users["county"])
    page = body(client.get("/monitoring/"))
    drill = page.split('data-testid="drill-down"', 1)[1].split("</section>", 1)[0]
    assert re.search(rf'division={f.TOWNSHIP_A}">[^<]+</a> <span class="tag muted">4<', drill)
    assert re.search(rf'division={f.TOWNSHIP_B}">[^<]+</a> <span class="tag muted">1<', drill)


def test_overdue_page_with_a_fixed_today_shows_escalations_first(client, users, warnings):
    client.force_login(users["county"])
    page = body(client.get("/monitoring/overdue/"))
    w = warnings
    assert listed(page) == [w["county"].pk, w["b"].pk, w["late"].pk]
    assert stat(page, "level", "county") == 1 and stat(page, "level", "township") == 1
    assert stat(page, "level", "village") == 1
    row = page.split(f'data-warning="{w["county"].pk}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-testid="escalated"' in row and "县级督办" in row and "逾期 60 天" in row
    row = page.split(f'data-warning="{w["late"].pk}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-testid="escalated"' not in row and "逾期 10 天" in row


def test_pagination(client, users, run, household_a):
    for _ in range(52):
        mf.make_warning(run=run, household_year=household_a, raised_event=False)
    client.force_login(users["clerk"])
    first = body(client.get("/monitoring/"))
    assert len(listed(first)) == 50 and "共 52 条" in first and "1/2" in first
    assert len(listed(body(client.get("/monitoring/?page=2")))) == 2


# --- one warning --------------------------------------------------------------------------------------


def test_detail_shows_score_parts_deadline_and_escalation(client, users, warnings):
    client.force_login(users["township"])
    w = warnings["county"]
    page = body(client.get(f"/monitoring/warnings/{w.pk}/"))
    assert "脱贫不稳定户" in page and "突发严重困难户" in page and 'data-testid="score-value">90<' in page
    assert page.index('data-signal="income_low"') > 0 and "<meter" in page
    assert "已逾期 60 天" in page and "已上报县级督办" in page
    assert 'data-testid="verify"' in page and 'data-testid="measure"' not in page
    assert w.household.household_no in page


def test_contributions_are_listed_largest_first_with_their_points(client, users, warnings):
    client.force_login(users["clerk"])
    page = body(client.get(f"/monitoring/warnings/{warnings['late'].pk}/"))
    assert page.index('data-signal="income_low"') < page.index('data-signal="income_drop"')
    assert re.search(r'data-signal="income_drop"><td[^>]*>[^<]+</td><td class="num">15<', page)


def test_monitored_subject_is_masked_for_masked_roles_and_full_reads_are_logged(client, users, warnings):
    w = warnings["edge"]
    number = w.monitored.head_id_number
    client.force_login(users["clerk"])
    page = body(client.get(f"/monitoring/warnings/{w.pk}/"))
    assert number not in page and number[:6] + "********" + number[14:] in page
    assert f"/monitoring/monitored/{w.monitored_id}/" in page
    assert not AccessLog.objects.filter(user=users["clerk"]).exists()
    client.force_login(users["county"])
    assert number in body(client.get(f"/monitoring/warnings/{w.pk}/"))
    assert AccessLog.objects.filter(user=users["county"], object_type="warning", object_ref=str(w.pk)).exists()


def test_read_only_roles_see_no_forms_and_cannot_post(client, users, warnings):
    w = warnings["late"]
    for role in ("supervisor", "analyst"):
        client.force_login(users[role])
        page = body(client.get(f"/monitoring/warnings/{w.pk}/"))
        assert 'data-testid="verify"' not in page and "您的角色只能查看" in page
        response = client.post(f"/monitoring/warnings/{w.pk}/verify/", {"verify-result": "true",
                                                                         "verify-note": "越权"})
        assert response.status_code == 403
    assert EarlyWarning.objects.get(pk=w.pk).status == WarningStatus.PENDING


def test_another_village_gets_404(client, users, warnings):
    client.force_login(users["clerk_b"])
    for w in (warnings["late"], warnings["edge"]):
        assert client.get(f"/monitoring/warnings/{w.pk}/").status_code == 404
        assert client.post(f"/monitoring/warnings/{w.pk}/verify/", {"verify-result": "true",
                                                                     "verify-note": "越权"}).status_code == 404
    assert client.get(f"/monitoring/monitored/{warnings['edge'].monitored_id}/").status_code == 404


def test_steps_from_the_page(client, users, warnings):
    w = warnings["late"]
    url = f"/monitoring/warnings/{w.pk}/"
    client.force_login(users["clerk"])
    response = client.post(url + "verify/", {"verify-result": "true", "verify-note": "入户核实属实"})
    assert response.status_code == 302 and response["Location"] == url
    page = body(client.get(url))
    assert 'data-testid="measure"' in page and 'data-testid="hand-over"' in page and 'data-testid="clear"' not in page
    response = client.post(url + "measures/", {"measure-kind": "temporary_relief", "measure-amount": "2000",
                                               "measure-date": "2020-06-25", "measure-note": "临时救助金"})
    assert response.status_code == 302
    measure = Measure.objects.get(warning=w)
    assert (measure.kind, measure.amount, measure.date) == ("temporary_relief", Decimal("2000.00"),
                                                           dt.date(2020, 6, 25))
    response = client.post(url + "clear/", {"clear-reason": "收入恢复", "clear-date": "2020-06-29"})
    assert response.status_code == 302
    page = body(client.get(url))
    assert "风险消除" in page and 'data-testid="clear"' not in page and 'data-testid="measure"' not in page
    history = page.split('data-testid="history"', 1)[1]
    for text in ("待核实 → 已核实(属实)", "入户核实属实", "临时救助 2000.00 元:临时救助金", "帮扶中 → 风险消除",
                 "收入恢复"):
        assert text in history, text
    assert list(WarningEvent.objects.filter(warning=w).order_by("id").values_list("action", flat=True)) == [
        "raised", "verify", "measure", "clear"]


def test_bad_step_input_shows_the_error_on_the_form_and_changes_nothing(client, users, warnings):
    w = warnings["assisting"]
    url = f"/monitoring/warnings/{w.pk}/"
    Measure.objects.create(warning=w, kind="dibao", amount=100, date=dt.date(2020, 6, 1))
    client.force_login(users["clerk"])
    page = body(client.post(url + "clear/", {"clear-reason": "好转", "clear-date": "2020-05-01"}))
    assert 'data-field="date"' in page and "不能早于最后一次帮扶措施的日期(2020-06-01)" in page
    page = body(client.post(url + "measures/", {"measure-kind": "dibao", "measure-amount": "10",
                                                "measure-date": "2020-07-05"}))
    assert "措施日期不能晚于今天" in page
    assert EarlyWarning.objects.get(pk=w.pk).status == WarningStatus.ASSISTING and w.measures.count() == 1


def test_a_step_the_status_no_longer_allows_says_so(client, users, warnings):
    w = warnings["late"]
    client.force_login(users["clerk"])
    client.post(f"/monitoring/warnings/{w.pk}/verify/", {"verify-result": "false", "verify-note": "不属实"})
    page = body(client.post(f"/monitoring/warnings/{w.pk}/verify/", {"verify-result": "true",
                                                                    "verify-note": "属实"}))
    assert "只有“待核实”的预警可以核实" in page and 'data-testid="verify"' not in page
    assert EarlyWarning.objects.get(pk=w.pk).status == WarningStatus.REJECTED


def test_hand_over_from_the_page(client, users, warnings):
    w = warnings["assisting"]
    client.force_login(users["county"])
    response = client.post(f"/monitoring/warnings/{w.pk}/hand-over/", {"hand_over-note": "申请纳入建档立卡"})
    assert response.status_code == 302
    stored = EarlyWarning.objects.get(pk=w.pk)
    assert stored.status == WarningStatus.HANDED_OVER and stored.resolved_on == TODAY
    assert "转入识别程序" in body(client.get(f"/monitoring/warnings/{w.pk}/"))


# --- the household page -------------------------------------------------------------------------------


def test_household_page_shows_its_warnings_and_measures(client, users, warnings, household_a):
    w = warnings["assisting"]
    Measure.objects.create(warning=w, kind="temporary_relief", amount=Decimal("2000"), date=dt.date(2020, 6, 3))
    client.force_login(users["clerk"])
    page = body(client.get(f"/households/{household_a.household.household_no}/"))
    panel = page.split('data-testid="household-warnings"', 1)[1].split("</section>", 1)[0]
    assert set(listed(panel)) == {warnings[n].pk for n in ("late", "county", "assisting")}
    assert "2020-06-03 临时救助 2,000.00 元" in panel and "县级督办" in panel and "三保障下滑" in panel
