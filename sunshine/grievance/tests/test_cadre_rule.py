"""A grievance about a cadre is never assigned to that cadre's own village: the villages of its open pairings'
households, of its work teams, and a village cadre's village. The township and county above may take it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from sunshine.funds.choices import CADRE_POSITION_CHOICES
from sunshine.funds.models import VillageCadre
from sunshine.grievance import services
from sunshine.grievance.choices import State
from sunshine.grievance.tests import factories as gf
from sunshine.testing import factories as f

pytestmark = pytest.mark.django_db
ON = dt.date(2021, 3, 1)
VILLAGE_A2 = "320321101002"


@pytest.fixture
def cadre(users, household_a):
    from sunshine.assistance.models import Cadre, Pairing, WorkTeam

    cadre = Cadre.objects.create(cadre_no="GB0001", name="帮扶干部甲", id_number=f.new_id(), level="county",
                                 kind="responsible", division_id=f.COUNTY)
    Pairing.objects.create(cadre=cadre, household=household_a.household, start_date=dt.date(2020, 1, 1))
    WorkTeam.objects.create(cadre=cadre, village_id=f.VILLAGE_B, role="member", start_date=dt.date(2020, 1, 1))
    # An ended term in another village does not count.
    WorkTeam.objects.create(cadre=cadre, village_id=VILLAGE_A2, role="member", start_date=dt.date(2019, 1, 1),
                            end_date=dt.date(2020, 12, 31))
    return cadre


def _accepted(users, **links):
    g, _ = gf.register(users["county"], on=ON, category="conduct", links=links)
    return services.accept(actor=users["county"], grievance=g, on=ON)


def test_not_to_the_villages_of_the_cadre_but_to_the_township_or_county(users, cadre):
    g = _accepted(users, cadre_no="GB0001")
    assert g.cadre_id == cadre.pk
    assert services.cadre_villages(g, ON) == {f.VILLAGE_A, f.VILLAGE_B}
    for village in (f.VILLAGE_A, f.VILLAGE_B):
        with pytest.raises(ValidationError) as err:
            services.assign(actor=users["county"], grievance=g, division_code=village, on=ON)
        assert "division" in err.value.message_dict
    assert services.assign(actor=users["county"], grievance=g, division_code=VILLAGE_A2, on=ON).state == State.ASSIGNED
    g = services.assign(actor=users["county"], grievance=g, division_code=f.TOWNSHIP_A, on=ON)
    assert g.handling_division_id == f.TOWNSHIP_A
    assert services.assign(actor=users["county"], grievance=g, division_code=f.COUNTY, on=ON).assigned_division_id \
        == f.COUNTY


def test_a_village_cadre_is_not_judged_by_their_own_village(users):
    vc = VillageCadre.objects.create(id_number=f.new_id(), name="村干部乙", village_id=f.VILLAGE_A,
                                     position=CADRE_POSITION_CHOICES[0][0], start_date=dt.date(2020, 1, 1))
    g = _accepted(users, village_cadre_id=str(vc.pk))
    with pytest.raises(ValidationError):
        services.assign(actor=users["county"], grievance=g, division_code=f.VILLAGE_A, on=ON)
    assert services.assign(actor=users["county"], grievance=g, division_code=f.TOWNSHIP_A, on=ON).state == "assigned"


def test_assignment_stays_in_the_county(users):
    g = _accepted(users)
    with pytest.raises(ValidationError):
        services.assign(actor=users["county"], grievance=g, division_code="320322000000", on=ON)
