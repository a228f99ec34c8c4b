"""The registry's write rules, through the services every way in uses."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from sunshine.registry import choices as c
from sunshine.registry import services
from sunshine.registry.models import HouseholdYear
from sunshine.testing import factories as f

SEED = services.Procedure.seed()


def _member(**kw):
    return {"name": "新成员", "relation": c.Relation.CHILD, **kw}


def test_bad_check_character_is_refused_naming_the_field(household_a, users):
    with pytest.raises(ValidationError) as exc:
        services.add_member(actor=users["clerk"], household_year=household_a,
                            **_member(id_number="110105194912310021"))
    assert "id_number" in exc.value.message_dict
    assert "校验位" in exc.value.message_dict["id_number"][0]


def test_good_id_with_x_is_accepted_and_gender_birth_filled(household_a, users):
    member = services.add_member(actor=users["clerk"], household_year=household_a, procedure=SEED,
                                 **_member(id_number="11010519491231002x"))
    assert member.person.id_number == "11010519491231002X"
    assert member.person.gender == c.Gender.FEMALE
    assert member.person.birth_date == dt.date(1949, 12, 31)


def test_fifteen_digit_id_is_converted(household_a, users):
    member = services.add_member(actor=users["clerk"], household_year=household_a, procedure=SEED,
                                 **_member(id_number="110105491231002"))
    assert member.person.id_number == "11010519491231002X"


def test_gender_and_birth_date_must_agree_with_id(household_a, users):
    with pytest.raises(ValidationError) as exc:
        services.add_member(actor=users["clerk"], household_year=household_a,
                            **_member(id_number="11010519491231002X", gender=c.Gender.MALE,
                                      birth_date=dt.date(1950, 1, 1)))
    assert set(exc.value.message_dict) == {"gender", "birth_date"}


def test_second_head_is_refused(household_a, users):
    with pytest.raises(ValidationError) as exc:
        services.add_member(actor=users["clerk"], household_year=household_a,
                            **_member(id_number=f.new_id(), relation=c.Relation.HEAD))
    assert "户主" in exc.value.message_dict["relation"][0]
    other = household_a.members.exclude(relation=c.Relation.HEAD).first()
    with pytest.raises(ValidationError):
        services.update_member(actor=users["clerk"], member=other, relation=c.Relation.HEAD)
    assert household_a.members.filter(relation=c.Relation.HEAD).count() == 1


def test_head_cannot_simply_stop_being_head_but_can_be_changed(household_a, users):
    head = household_a.members.get(relation=c.Relation.HEAD)
    with pytest.raises(ValidationError):
        services.update_member(actor=users["clerk"], member=head, relation=c.Relation.SPOUSE)
    child = household_a.members.exclude(relation=c.Relation.HEAD).first()
    services.change_head(actor=users["clerk"], household_year=household_a, new_head=child,
                         old_head_relation=c.Relation.PARENT)
    household_a.refresh_from_db()
    assert household_a.head_id_number == child.person.id_number
    assert household_a.members.filter(relation=c.Relation.HEAD).count() == 1


def test_one_person_in_one_household_per_year(household_a, household_b, users):
    taken = household_a.members.first().person.id_number
    with pytest.raises(ValidationError, match="同一人一年只能在一户中"):
        services.add_member(actor=users["county"], household_year=household_b, **_member(id_number=taken))
    # the same person may be in a household in another year
    later = f.make_household(users["county"], village=f.VILLAGE_B, year=2021, head_id=taken)
    assert later.head_id_number == taken


def test_exited_requires_exit_year_and_income_not_negative(household_a, users):
    with pytest.raises(ValidationError) as exc:
        services.correct_household_year(actor=users["admin"], household_year=household_a, reason="补录脱贫",
                                        status=c.HouseholdStatus.EXITED, wage_income=Decimal("-1"))
    assert set(exc.value.message_dict) == {"exit_year", "wage_income"}
    services.correct_household_year(actor=users["admin"], household_year=household_a, reason="补录脱贫",
                                    status=c.HouseholdStatus.EXITED, exit_year=2020)
    assert HouseholdYear.objects.get(pk=household_a.pk).status == c.HouseholdStatus.EXITED


def test_disability_level_only_with_disability(household_a, users):
    with pytest.raises(ValidationError, match="残疾"):
        services.add_member(actor=users["clerk"], household_year=household_a,
                            **_member(id_number=f.new_id(), health=c.Health.HEALTHY,
                                      disability_level=c.DisabilityLevel.LEVEL1))


def test_clerk_cannot_edit_other_village_and_readers_cannot_edit(household_b, users):
    for who in ("clerk", "supervisor", "analyst"):
        with pytest.raises(PermissionDenied):
            services.update_household_year(actor=users[who], household_year=household_b, phone="13900000000")


def test_every_edit_is_in_history_with_user_and_time(household_a, users):
    clerk = users["clerk"]
    services.update_household_year(actor=clerk, household_year=household_a, wage_income=Decimal("15000"))
    member = household_a.members.exclude(relation=c.Relation.HEAD).first()
    services.update_member(actor=clerk, member=member, health=c.Health.CHRONIC)
    latest = household_a.history.latest()
    assert latest.history_user == clerk and latest.history_date is not None
    assert latest.diff_against(latest.prev_record).changed_fields == ["wage_income"]
    assert member.history.latest().history_user == clerk


def test_head_fields_follow_head_member(household_a, users):
    head = household_a.members.get(relation=c.Relation.HEAD)
    services.update_member(actor=users["clerk"], member=head, name="改名户主")
    household_a.refresh_from_db()
    assert household_a.head_name == "改名户主"


def test_duplicate_year_and_foreign_village_number_refused(household_a, users):
    number = household_a.household.household_no
    with pytest.raises(ValidationError, match="已有2020年度"):
        f.make_household(users["county"], household_no=number, village=f.VILLAGE_A)
    with pytest.raises(ValidationError, match="其他村"):
        f.make_household(users["county"], household_no=number, village=f.VILLAGE_B, year=2021)


def test_change_head_page(client, household_a, users):
    child = household_a.members.exclude(relation=c.Relation.HEAD).first()
    client.force_login(users["clerk"])
    url = f"/households/{household_a.household.household_no}/2020/head/"
    assert "新户主" in client.get(url).content.decode()
    response = client.post(url, {"new_head": str(child.pk), "old_head_relation": c.Relation.SPOUSE})
    assert response.status_code == 302
    household_a.refresh_from_db()
    assert household_a.head_id_number == child.person.id_number
