"""The case page renders every payload type with Chinese labels, personal data masked for masked roles
(the old page printed the raw payload dict with the new member's full ID number)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from sunshine.registry import choices as rc
from sunshine.testing import factories as f
from sunshine.workflow.choices import CaseType, ChangeKind
from sunshine.workflow.models import Case, Objection

NEWBORN = f.new_id(birth=dt.date(2020, 3, 1), male=True)
PHONE = "13912345678"


def _case(users, hy, kind: str, payload: dict) -> Case:
    return Case.objects.create(case_type=CaseType.CHANGE, year=2020, household=hy.household,
                               division_id=f.VILLAGE_A, steps=["household", "cadre"], current_step=0,
                               awaiting_step="household", change_kind=kind, payload=payload,
                               reason=f"电话{PHONE}", opened_by=users["county"])


@pytest.mark.django_db
def test_birth_payload_is_labelled_and_masked_for_clerk(client: Client, users, household_a):
    case = _case(users, household_a, ChangeKind.BIRTH, {
        "member": {"name": "新生儿", "id_number": NEWBORN, "relation": "grandchild", "birth_date": "2020-03-01",
                   "phone": PHONE}, "change_date": "2020-03-01"})
    Objection.objects.create(case=case, contact=PHONE, content=f"身份证{NEWBORN}")
    client.force_login(users["clerk"])
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert "新生儿" in body and "孙辈" in body and "新成员" in body and "变更日期" in body
    assert NEWBORN not in body and PHONE not in body and "{&#x27;" not in body and "2020-03-01 " not in body
    client.force_login(users["county"])
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert NEWBORN in body


@pytest.mark.django_db
def test_death_payload_names_the_member(client: Client, users, household_a):
    member = household_a.members.exclude(relation=rc.Relation.HEAD).select_related("person").first()
    case = _case(users, household_a, ChangeKind.DEATH, {"member_id": member.pk, "change_date": "2020-05-05"})
    client.force_login(users["clerk"])
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert member.person.name in body and "member_id" not in body
