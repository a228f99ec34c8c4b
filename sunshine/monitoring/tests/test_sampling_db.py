"""Draws, panel continuation, visits and estimates on the database, with households made by the real services."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from sunshine.core.choices import DivisionLevel
from sunshine.core.models import Division
from sunshine.monitoring.choices import SampleKind
from sunshine.monitoring.models import SampleDraw
from sunshine.monitoring.sampling.draw import continue_panel, draw_sample
from sunshine.monitoring.sampling.report import estimate
from sunshine.monitoring.sampling.services import record_visit
from sunshine.registry import choices as c
from sunshine.testing import factories as f

OTHER_VILLAGE = "320322101001"  # a village of 沛县, another county
EXITED = {"status": c.HouseholdStatus.EXITED, "exit_year": 2019}
RETURNED = {"status": c.HouseholdStatus.RETURNED}
CLOSED = {"status": c.HouseholdStatus.CLOSED}
LAYOUT = [  # village, status fields, how many
    (f.VILLAGE_A, {}, 8), (f.VILLAGE_A, EXITED, 6), (f.VILLAGE_A2, {}, 4), (f.VILLAGE_A2, EXITED, 3),
    (f.VILLAGE_A2, RETURNED, 2), (f.VILLAGE_B, {}, 5), (f.VILLAGE_B, EXITED, 2), (f.VILLAGE_B, CLOSED, 2),
    (OTHER_VILLAGE, {}, 4), (OTHER_VILLAGE, EXITED, 6),
]


@pytest.fixture
def population(users):
    county = Division.objects.get(code="320322000000")
    town = Division.objects.create(code="320322101000", name="测试丙镇", level=DivisionLevel.TOWNSHIP, parent=county,
                                   synthetic=True)
    Division.objects.create(code=OTHER_VILLAGE, name="丙一村", level=DivisionLevel.VILLAGE, parent=town,
                            synthetic=True)
    made = []
    for village, fields, count in LAYOUT:
        for _ in range(count):
            made.append(f.make_household(users["admin"], village=village, members=1, **fields))
    return made


def units_of(draw: SampleDraw) -> list[tuple[int, str]]:
    return sorted(draw.units.values_list("household_id", "stratum"))


def test_draw_is_stratified_proportional_and_reproducible(users, population):
    first = draw_sample(actor=users["admin"], kind=SampleKind.ADHOC, year=2020, division_code="320300000000",
                        size=20, seed=12345)
    strata = first.strata
    assert sum(s["population"] for s in strata.values()) == 40  # the 2 closed households are not registered
    assert set(strata) == {"320321:in_poverty", "320321:exited", "320321:returned", "320322:in_poverty",
                           "320322:exited"}
    assert strata["320321:exited"]["population"] == 11
    assert first.size == 20 and first.units.count() == 20 and first.seed == 12345
    by_stratum = Counter(s for _, s in units_of(first))
    for k, info in strata.items():
        assert by_stratum[k] == info["sample"] >= 1
        assert abs(info["sample"] - 20 * info["population"] / 40) <= 1
        unit = first.units.filter(stratum=k).first()
        assert unit.weight == pytest.approx(info["population"] / info["sample"])
    again = draw_sample(actor=users["admin"], kind=SampleKind.ADHOC, year=2020, division_code="320300000000",
                        size=20, seed=12345)
    other = draw_sample(actor=users["admin"], kind=SampleKind.ADHOC, year=2020, division_code="320300000000",
                        size=20, seed=54321)
    assert units_of(again) == units_of(first)
    assert units_of(other) != units_of(first)
    by_rate = draw_sample(actor=users["county"], year=2020, rate=0.25, seed=1)  # the county's own division
    assert by_rate.division_id == f.COUNTY and by_rate.size == 8 and by_rate.rate == 0.25  # ceil(0.25 × 30)


def test_who_may_draw_and_where(users, population):
    for role in ("clerk", "township"):
        with pytest.raises(PermissionDenied):
            draw_sample(actor=users[role], year=2020, size=5, seed=1)
    with pytest.raises(PermissionDenied):  # another county
        draw_sample(actor=users["county"], year=2020, division_code="320322000000", size=5, seed=1)
    with pytest.raises(ValidationError) as exc:
        draw_sample(actor=users["county"], year=2019, size=5, seed=1)
    assert "year" in exc.value.message_dict
    with pytest.raises(ValidationError):
        draw_sample(actor=users["county"], year=2020, size=5, rate=0.1, seed=1)
    with pytest.raises(ValidationError):
        draw_sample(actor=users["county"], year=2020, size=5, seed=-3)
    assert not SampleDraw.objects.exists()
    draw = draw_sample(actor=users["supervisor"], year=2020, size=5)
    assert 0 <= draw.seed < 10**9  # a random seed is chosen and stored


def _next_year(actor, household_years, leave: set[int]):
    """Copy 2020's households into 2021, except those in ``leave`` (closed, or not registered at all)."""
    for i, hy in enumerate(household_years):
        if hy.status == c.HouseholdStatus.CLOSED:
            continue
        if hy.household_id in leave:
            if i % 2:
                continue  # gone from the registry
            fields = CLOSED
        else:
            fields = {"status": hy.status, "exit_year": hy.exit_year}
        f.make_household(actor, village=hy.household.village_id, year=2021, household_no=hy.household.household_no,
                         head_name=hy.head_name, head_id=hy.head_id_number, members=1, **fields)


def test_panel_continuation_keeps_households_and_replaces_leavers(users, population):
    panel = draw_sample(actor=users["county"], kind=SampleKind.FIXED, year=2020, size=12, seed=7)
    old = dict(units_of(panel))
    leave = set(sorted(old)[:3])
    _next_year(users["admin"], population, leave)
    follow = continue_panel(actor=users["county"], panel=panel, year=2021)
    assert follow.panel_id == panel.pk and follow.seed == panel.seed and follow.kind == SampleKind.FIXED
    new = dict(units_of(follow))
    assert set(old) - leave <= set(new)
    assert not leave & set(new)
    replacements = set(new) - set(old)
    assert len(replacements) == len(leave) and follow.size == panel.size
    # Each leaver is replaced from the stratum it was drawn in.
    assert Counter(new[h] for h in replacements) == Counter(old[h] for h in leave)
    assert sum(s.get("kept", 0) for s in follow.strata.values()) == len(old) - len(leave)
    again = continue_panel(actor=users["county"], panel=panel, year=2021)
    assert units_of(again) == units_of(follow)
    with pytest.raises(ValidationError):
        continue_panel(actor=users["county"], panel=panel, year=2020)
    adhoc = draw_sample(actor=users["county"], kind=SampleKind.ADHOC, year=2020, size=3, seed=1)
    with pytest.raises(ValidationError):
        continue_panel(actor=users["county"], panel=adhoc, year=2021)


def test_visit_validation(users, population):
    draw = draw_sample(actor=users["county"], year=2020, size=30, seed=3)
    exited = draw.units.filter(stratum="320321:exited").select_related("household").first()
    poor = draw.units.filter(stratum="320321:in_poverty", household__village_id=f.VILLAGE_A).first()
    in_b = draw.units.filter(household__village_id=f.VILLAGE_B).first()
    day = dt.date(2021, 3, 1)
    with pytest.raises(ValidationError) as exc:
        record_visit(actor=users["clerk"], unit=poor, visited_on=day, data_correct=True, wrongly_exited=False, note="")
    assert "wrongly_exited" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        record_visit(actor=users["county"], unit=exited, visited_on=day, data_correct=True, wrongly_exited=None,
                     note="")
    assert "wrongly_exited" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        record_visit(actor=users["county"], unit=exited, visited_on=dt.date(2019, 5, 1), data_correct=True,
                     wrongly_exited=False, note="")
    assert "visited_on" in exc.value.message_dict
    with pytest.raises(ValidationError):
        record_visit(actor=users["county"], unit=exited, visited_on=dt.date.today() + dt.timedelta(days=2),
                     data_correct=True, wrongly_exited=False, note="")
    with pytest.raises(PermissionDenied):  # village B is not the clerk's
        record_visit(actor=users["clerk"], unit=in_b, visited_on=day, data_correct=True, wrongly_exited=None,
                     note="")
    with pytest.raises(PermissionDenied):  # an analyst does not visit
        record_visit(actor=users["analyst"], unit=poor, visited_on=day, data_correct=True, wrongly_exited=None,
                     note="")
    record_visit(actor=users["clerk"], unit=poor, visited_on=day, data_correct=False, wrongly_exited=None,
                 note=" 收入漏报 ")
    poor.refresh_from_db()
    assert (poor.data_correct, poor.wrongly_exited, poor.visitor, poor.note) == (False, None, users["clerk"],
                                                                               "收入漏报")


def test_estimate_end_to_end(users, population):
    draw = draw_sample(actor=users["admin"], year=2020, division_code="320300000000", size=40, seed=5)
    assert draw.size == 40  # every registered household: the estimate is exact
    day = dt.date(2021, 2, 1)
    wrong = exited_wrong = exited_total = 0
    for i, unit in enumerate(draw.units.order_by("pk")):
        is_exited = unit.stratum.endswith(":exited")
        bad = i % 4 == 0
        flag = (i % 3 == 0) if is_exited else None
        record_visit(actor=users["admin"], unit=unit, visited_on=day, data_correct=not bad, wrongly_exited=flag,
                     note="")
        wrong += bad
        exited_total += is_exited
        exited_wrong += bool(flag)
    result = estimate(draw)
    assert result["visited"] == result["sampled"] == 40
    assert result["data_wrong"]["estimate"] == pytest.approx(wrong / 40)
    assert result["data_wrong"]["method"] == "census"
    assert result["wrongly_exited"]["estimate"] == pytest.approx(exited_wrong / exited_total)
    assert result["wrongly_exited"]["visited"] == exited_total == 17

    half = draw_sample(actor=users["admin"], year=2020, division_code="320300000000", size=20, seed=5)
    untouched = estimate(half)
    assert untouched["data_wrong"]["method"] == "none" and untouched["visited"] == 0
    units = list(half.units.order_by("pk"))
    for unit in units[:12]:
        flag = False if unit.stratum.endswith(":exited") else None
        record_visit(actor=users["admin"], unit=unit, visited_on=day, data_correct=True, wrongly_exited=flag, note="")
    partial = estimate(half)
    assert partial["visited"] == 12 and partial["data_wrong"]["estimate"] == 0
    assert partial["data_wrong"]["method"] == "wilson" and partial["data_wrong"]["high"] > 0
    rows = {r["stratum"]: r for r in partial["strata"]}
    assert sum(r["visited"] for r in rows.values()) == 12
    assert all(r["sample"] == half.strata[k]["sample"] for k, r in rows.items())
