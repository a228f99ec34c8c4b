"""The synthetic region generator and the demo users, on small regions."""

from __future__ import annotations

import collections
import datetime as dt
import statistics

import pytest
from django.contrib.auth.password_validation import validate_password
from django.db.models import Count, Q
from django.utils import timezone

from sunshine.core.choices import DivisionLevel, Role
from sunshine.core.ids import make_id_number, parse_id_number
from sunshine.core.models import Division, User
from sunshine.demo.generator import GenerationSummary, SyntheticDataExists, generate_region
from sunshine.demo.users import create_demo_users
from sunshine.registry import choices as c
from sunshine.registry.models import Household, HouseholdYear, MemberYear, Person, VillageYear
from sunshine.registry.validation import check_household_fields, check_identity, check_member_fields

COUNTY = "320321"
YEARS = (2018, 2019, 2020)
SMALL = 300

pytestmark = pytest.mark.django_db

HOUSEHOLD_YEAR_VALUES = (
    "household__household_no", "household__village_id", "year", "head_name", "head_id_number", "phone",
    "household_type", "support_category", "main_cause", "status", "identified_year", "exit_year",
    *HouseholdYear.INCOME_FIELDS, "food_clothing_secure", "housing_grade", "renovation_status", "water_safe",
    "has_electricity",
)
MEMBER_YEAR_VALUES = (
    "household_year__household__household_no", "year", "person__id_number", "person__name", "person__gender",
    "person__birth_date", "relation", "education_level", "school_status", "health", "disability_level",
    "disability_type", "labour_ability", "employment", "medical_insured", "critical_illness_insured",
    "pension_insured", "receives_dibao", "member_status", "change_date",
)


def snapshot() -> tuple[list, list, list, list]:
    """Everything generated, without primary keys or timestamps (which may differ between runs)."""
    divisions = list(Division.objects.filter(synthetic=True).order_by("code")
                     .values_list("code", "name", "level", "parent_id"))
    villages = list(VillageYear.objects.order_by("village_id", "year").values_list(
        "village_id", "year", "weak_village", "key_area__slug", "collective_income", "two_lane_road", "clinic_ok"))
    households = list(HouseholdYear.objects.order_by("household__household_no", "year")
                      .values_list(*HOUSEHOLD_YEAR_VALUES))
    # ID numbers are stored encrypted (random nonce): the database cannot order by them, so Python does.
    members = sorted(MemberYear.objects.values_list(*MEMBER_YEAR_VALUES), key=lambda row: tuple(map(str, row)))
    return divisions, villages, households, members


@pytest.fixture
def summary() -> GenerationSummary:
    return generate_region(households=SMALL, seed=7, county_code=COUNTY, years=YEARS)


def test_summary_counts_match_the_database(summary: GenerationSummary) -> None:
    assert summary.households == SMALL == Household.objects.count()
    assert summary.persons == Person.objects.count()
    assert summary.household_years == HouseholdYear.objects.count()
    assert summary.member_years == MemberYear.objects.count()
    assert summary.village_years == VillageYear.objects.count() == summary.villages * len(YEARS)
    # About three members per household.
    per_household = MemberYear.objects.count() / HouseholdYear.objects.count()
    assert 2.6 <= per_household <= 3.6
    assert "丰县" in str(summary)
    # Generated data has no history: it starts at the first edit.
    for model in (Division, VillageYear, Household, HouseholdYear, Person, MemberYear):
        assert model.history.count() == 0, model.__name__


def test_townships_and_villages(summary: GenerationSummary) -> None:
    county = Division.objects.get(code=f"{COUNTY}000000")
    townships = Division.objects.filter(synthetic=True, level=DivisionLevel.TOWNSHIP)
    villages = Division.objects.filter(synthetic=True, level=DivisionLevel.VILLAGE)
    assert townships.count() == summary.townships >= 1
    assert villages.count() == summary.villages == round(SMALL * 3 / 200)
    for t in townships:
        assert len(t.code) == 12 and t.code.startswith(COUNTY) and t.code.endswith("000")
        assert t.parent_id == county.code and t.name[-1] in "镇乡"
    for v in villages:
        assert len(v.code) == 12 and v.code[9:] != "000" and v.parent_id == v.code[:9] + "000"
        assert v.name.endswith("村")
    # Every household lives in a synthetic village of the county.
    assert not Household.objects.exclude(village__in=villages).exists()
    assert all(h.startswith(COUNTY) and len(h) == 14 for h in Household.objects.values_list("household_no", flat=True))


def test_village_years(summary: GenerationSummary) -> None:
    rows = VillageYear.objects.all()
    assert {r.year for r in rows} == set(YEARS)
    # 丰县 lies in the 丰县湖西地区 key area: a share of its villages are marked.
    assert {r.key_area.slug for r in rows if r.key_area} == {"fengxian_huxi"}
    assert all(50_000 <= r.collective_income <= 1_000_000 for r in rows)
    by_village = collections.defaultdict(list)
    for r in rows.order_by("year"):
        by_village[r.village_id].append(r.collective_income)
    assert all(a < b for incomes in by_village.values() for a, b in zip(incomes, incomes[1:], strict=False))


def test_same_seed_same_data_and_different_seed_differs(summary: GenerationSummary) -> None:
    first = snapshot()
    generate_region(households=SMALL, seed=7, county_code=COUNTY, years=YEARS, replace=True)
    assert snapshot() == first
    generate_region(households=SMALL, seed=8, county_code=COUNTY, years=YEARS, replace=True)
    other = snapshot()
    assert other[2] != first[2] and other[3] != first[3]


def test_refuses_a_county_that_has_synthetic_data_unless_replace(summary: GenerationSummary) -> None:
    with pytest.raises(SyntheticDataExists):
        generate_region(households=SMALL, seed=7, county_code=COUNTY)
    again = generate_region(households=100, seed=7, county_code=COUNTY, replace=True)
    # The earlier data is gone, not added to.
    assert Household.objects.count() == 100 == again.households
    assert Person.objects.count() == again.persons
    assert not Person.objects.filter(memberships__isnull=True).exists()


def test_id_numbers_are_valid_and_agree_with_gender_and_birth_date(summary: GenerationSummary) -> None:
    people = list(Person.objects.all())
    assert len({p.id_number for p in people}) == len(people)
    for p in people:
        info = parse_id_number(p.id_number)
        assert info.number == p.id_number and p.id_number.startswith(COUNTY)
        assert info.birth_date == p.birth_date
        assert p.gender == (c.Gender.MALE if int(p.id_number[16]) % 2 == 1 else c.Gender.FEMALE)
        assert check_identity(p.id_number, p.gender, p.birth_date)[3] == {}


def test_exactly_one_head_whose_name_and_id_the_household_year_carries(summary: GenerationSummary) -> None:
    heads = collections.Counter(
        MemberYear.objects.filter(relation=c.Relation.HEAD).values_list("household_year_id", flat=True))
    assert set(heads) == set(HouseholdYear.objects.values_list("id", flat=True))
    assert set(heads.values()) == {1}
    for hy in HouseholdYear.objects.all():
        head = MemberYear.objects.select_related("person").get(household_year=hy, relation=c.Relation.HEAD)
        assert (hy.head_name, hy.head_id_number) == (head.person.name, head.person.id_number)


def test_a_person_is_in_one_household_per_year(summary: GenerationSummary) -> None:
    clashes = MemberYear.objects.values("person_id", "year").annotate(n=Count("id")).filter(n__gt=1)
    assert not clashes.exists()


def test_household_numbers_are_stable_across_years(summary: GenerationSummary) -> None:
    years_per_household = collections.Counter(HouseholdYear.objects.values_list("household_id", flat=True))
    assert max(years_per_household.values()) == len(YEARS)
    # Closed households stop; no household comes back after being closed.
    for household in Household.objects.prefetch_related("years"):
        statuses = [hy.status for hy in sorted(household.years.all(), key=lambda r: r.year)]
        assert c.HouseholdStatus.CLOSED not in statuses[:-1]


def test_every_value_is_allowed_by_the_data_dictionary(summary: GenerationSummary) -> None:
    for model in (HouseholdYear, MemberYear, Person):
        for field in model._meta.fields:
            if not field.choices:
                continue
            allowed = {value for value, _ in field.choices} | ({""} if field.blank else set())
            used = set(model.objects.values_list(field.name, flat=True).distinct())
            assert used <= allowed, (model.__name__, field.name, used - allowed)
    for hy in HouseholdYear.objects.all():
        data = {f.name: getattr(hy, f.name) for f in HouseholdYear._meta.fields}
        assert check_household_fields(data) == {}, data
        assert hy.exit_year is not None or hy.status != c.HouseholdStatus.EXITED
        assert hy.phone and len(hy.phone) == 11 and hy.phone.startswith("1")
    for my in MemberYear.objects.select_related("person"):
        data = {f.name: getattr(my, f.name) for f in MemberYear._meta.fields} | {"name": my.person.name}
        assert check_member_fields(data) == {}, data
        assert (my.change_date is not None) == (my.member_status != c.MemberStatus.ACTIVE)
        if my.change_date:
            assert my.change_date.year == my.year
    # full_clean catches anything else a form would refuse (lengths, types, choices).
    for hy in HouseholdYear.objects.all()[:50]:
        hy.full_clean(validate_unique=False, validate_constraints=False)
    for my in MemberYear.objects.all()[:150]:
        my.full_clean(validate_unique=False, validate_constraints=False)


def test_members_are_plausible_for_their_age(summary: GenerationSummary) -> None:
    rows = MemberYear.objects.select_related("person")
    school_age = [r for r in rows if 6 <= r.year - r.person.birth_date.year <= 15]
    in_school = [r for r in school_age if r.school_status in (c.SchoolStatus.PRIMARY, c.SchoolStatus.JUNIOR)]
    assert len(in_school) >= 0.9 * len(school_age) > 0
    for r in rows:
        age = r.year - r.person.birth_date.year
        assert 0 <= age <= 100
        assert r.person.birth_date.year <= r.year
        assert bool(r.disability_level) == bool(r.disability_type) == (r.health == c.Health.DISABLED)
        if age < 16:
            assert r.labour_ability == c.LabourAbility.NONE and r.employment == c.Employment.NOT_EMPLOYED
            assert r.pension_insured is False
        if r.relation == c.Relation.HEAD:
            assert age >= 16
    heads = {r.household_year_id: r for r in rows if r.relation == c.Relation.HEAD}
    for r in rows:
        if r.relation == c.Relation.CHILD and r.household_year_id in heads:
            assert r.person.birth_date > heads[r.household_year_id].person.birth_date


def test_dibao_members_belong_to_dibao_households(summary: GenerationSummary) -> None:
    for r in MemberYear.objects.select_related("household_year").filter(receives_dibao=True):
        assert r.household_year.household_type == c.HouseholdType.DIBAO


def test_yearly_dynamics_on_a_county_sized_sample() -> None:
    generate_region(households=2000, seed=3, county_code=COUNTY)
    status = {y: collections.Counter(HouseholdYear.objects.filter(year=y).values_list("status", flat=True))
              for y in YEARS}
    assert status[2018][c.HouseholdStatus.IN_POVERTY] > 0.6 * sum(status[2018].values())
    assert status[2020][c.HouseholdStatus.EXITED] > 0.8 * sum(status[2020].values())
    assert status[2020][c.HouseholdStatus.RETURNED] > 0
    assert sum(status[y][c.HouseholdStatus.CLOSED] for y in YEARS) > 0
    causes = collections.Counter(HouseholdYear.objects.filter(year=2018).values_list("main_cause", flat=True))
    assert causes.most_common(1)[0][0] == c.MainCause.ILLNESS
    member_status = collections.Counter(MemberYear.objects.values_list("member_status", flat=True))
    assert member_status[c.MemberStatus.DECEASED] > 0 and member_status[c.MemberStatus.MOVED_OUT] > 0
    # Babies born after the first year appear as new members.
    assert MemberYear.objects.filter(year=2020, person__birth_date__year=2020).exists()
    # Per-capita disposable income: mostly 4,000–12,000 yuan, in poverty below the 6,000 line.
    per_capita = {}
    for hy in HouseholdYear.objects.annotate(n=Count("members")).filter(year=2018):
        income = hy.disposable_income()
        if income is not None:
            per_capita[hy.status, hy.pk] = float(income) / hy.n
    values = list(per_capita.values())
    assert 4000 <= statistics.median(values) <= 12000
    poor = [v for (s, _), v in per_capita.items() if s == c.HouseholdStatus.IN_POVERTY]
    assert statistics.median(poor) < 6000
    # Dangerous houses get renovated over the years.
    dangerous = {y: HouseholdYear.objects.filter(year=y, housing_grade__in=["C", "D"]).count() for y in YEARS}
    assert dangerous[2018] > dangerous[2020]


def test_exited_households_mostly_earn_above_the_monitoring_line() -> None:
    """A real county warns on a few percent of its households: most exited households earn well above the
    9,000 yuan monitoring line (1.5 × the 6,000 line), and those still in poverty but due to exit just above
    the line. (The generator used to put most exited households under the monitoring line.)"""
    generate_region(households=2000, seed=3, county_code=COUNTY)
    rows = HouseholdYear.objects.annotate(
        n=Count("members", filter=Q(members__member_status=c.MemberStatus.ACTIVE))).filter(year=2020, n__gt=0)
    per_capita: dict[str, list[float]] = collections.defaultdict(list)
    for hy in rows:
        income = hy.disposable_income()
        if income is not None:
            per_capita[hy.status].append(float(income) / hy.n)
    exited = per_capita[c.HouseholdStatus.EXITED]
    below = sum(v < 9000 for v in exited) / len(exited)
    assert 0.005 <= below <= 0.05, below
    assert 10000 <= statistics.median(exited) <= 16000
    in_poverty = per_capita[c.HouseholdStatus.IN_POVERTY]
    above = [v for v in in_poverty if v >= 6000]
    assert 0.3 <= len(above) / len(in_poverty) <= 0.8  # due to exit
    assert statistics.median(above) < 7000


def test_progress_is_reported() -> None:
    calls: list[tuple[int, int]] = []
    generate_region(households=SMALL, seed=1, progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1] == (SMALL, SMALL)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"county_code": "999999"}, "未知"), ({"county_code": "3203"}, "6位"), ({"households": 0}, "户数"),
    ({"years": (2018, 2020)}, "连续"), ({"years": (2999,)}, "今年"),
])
def test_rejects_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate_region(**{"households": 10, **kwargs})
    assert not Division.objects.filter(synthetic=True).exists()


def test_demo_users_one_per_role(summary: GenerationSummary) -> None:
    users = create_demo_users(county_code=COUNTY, seed=1)
    assert [u[0] for u in users] == ["clerk", "township", "county", "supervisor", "analyst", "admin"]
    by_name = {u.username: u for u in User.objects.all()}
    # The cadre's account comes with its cadre record (sunshine.demo.assistance; assistance/tests/test_demo.py).
    assert {r for u in by_name.values() for r in u.roles} == set(Role.values) - {Role.CADRE}
    first_village = Division.objects.filter(synthetic=True, level=DivisionLevel.VILLAGE).order_by("code")[0]
    first_township = Division.objects.filter(synthetic=True, level=DivisionLevel.TOWNSHIP).order_by("code")[0]
    assert by_name["clerk"].division == first_village
    assert by_name["township"].division == first_township
    assert by_name["county"].division_id == by_name["supervisor"].division_id == f"{COUNTY}000000"
    assert by_name["analyst"].division_id == by_name["admin"].division_id == "320000000000"
    assert by_name["admin"].is_superuser and by_name["admin"].is_staff
    assert not any(u.is_staff for name, u in by_name.items() if name != "admin")
    for username, password, role_label, division_name in users:
        user = by_name[username]
        assert len(password) >= 12 and user.check_password(password)
        validate_password(password, user)
        assert role_label == str(Role(user.roles[0]).label) and division_name == user.division.name
        assert user.full_name


def test_demo_users_are_idempotent_and_follow_the_seed(summary: GenerationSummary) -> None:
    first = create_demo_users(county_code=COUNTY, seed=1)
    User.objects.filter(username="clerk").update(division=None, roles=[])
    assert create_demo_users(county_code=COUNTY, seed=1) == first
    assert User.objects.count() == len(first)
    assert User.objects.get(username="clerk").roles == [Role.VILLAGE_CLERK.value]
    other = create_demo_users(county_code=COUNTY, seed=2)
    assert [u[1] for u in other] != [u[1] for u in first]


def test_replacing_a_region_unbinds_users_of_its_villages(summary: GenerationSummary) -> None:
    create_demo_users(county_code=COUNTY, seed=1)
    again = generate_region(households=SMALL, seed=7, county_code=COUNTY, replace=True)
    assert again.users_unbound == 2  # the village clerk and the township reviewer
    assert User.objects.get(username="clerk").division is None
    create_demo_users(county_code=COUNTY, seed=1)
    assert User.objects.get(username="clerk").division.level == DivisionLevel.VILLAGE


def test_replacing_a_region_removes_the_history_of_its_records(summary: GenerationSummary) -> None:
    household_year = HouseholdYear.objects.order_by("id").first()
    household_year.phone = "13900000000"
    household_year.save()
    village = Division.objects.filter(synthetic=True, level=DivisionLevel.VILLAGE).order_by("code").first()
    village.name = "改名村"
    village.save()
    assert HouseholdYear.history.count() == 1 and Division.history.filter(code=village.code).count() == 1
    generate_region(households=SMALL, seed=7, county_code=COUNTY, replace=True)
    # New rows may reuse the old keys: the old history must not appear as theirs.
    assert HouseholdYear.history.count() == 0
    assert not Division.history.filter(code=village.code).exists()
    assert Division.objects.get(code=village.code).name != "改名村"


def test_records_added_after_generation_get_fresh_keys(summary: GenerationSummary) -> None:
    """Explicit keys were used for the bulk insert; the database's own key sequence must be past them."""
    household = Household.objects.create(household_no="NEW-1", village=Household.objects.first().village)
    person = Person.objects.create(id_number=make_id_number("110101", dt.date(1980, 1, 2), 901), name="新成员")
    household_year = HouseholdYear.objects.create(household=household, year=2020, head_name=person.name,
                                                  head_id_number=person.id_number, status="in_poverty")
    MemberYear.objects.create(household_year=household_year, person=person, year=2020, relation="head")
    assert household.pk > Household.objects.exclude(pk=household.pk).order_by("-pk").first().pk
    created = Household.objects.order_by("pk").first().created_at
    assert abs(timezone.now() - created) < dt.timedelta(minutes=5)
