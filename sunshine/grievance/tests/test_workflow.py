"""The grievance state machine (services.md §4): every transition, every refused one, roles and scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from sunshine.grievance import services
from sunshine.grievance.choices import State
from sunshine.grievance.models import Grievance
from sunshine.grievance.tests import factories as gf
from sunshine.testing import factories as f

pytestmark = pytest.mark.django_db
DAY0 = dt.date(2021, 3, 1)


def test_register_numbers_deadlines_code_and_encrypted_reporter(users):
    g, code = gf.register(users["county"], on=DAY0)
    assert g.number == "12317-2021-000001" and g.state == State.REGISTERED
    assert g.accept_by == DAY0 + dt.timedelta(days=3) and g.conclude_by is None and g.conclude_days == 30
    assert len(code) == 8 and not set(code) & set("0O1I")
    assert g.query_code_hash == services.code_hash(code) and code not in g.query_code_hash
    assert g.handling_division_id == f.COUNTY and g.assigned_division_id is None
    second, _ = gf.register(users["supervisor"], on=DAY0)
    assert second.number == "12317-2021-000002"
    # Stored encrypted: the raw column does not hold the name or the phone.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT reporter_name, reporter_phone FROM grievance_grievance WHERE id = %s", [g.pk])
        raw = " ".join(cursor.fetchone())
    assert gf.REPORTER_NAME not in raw and gf.REPORTER_PHONE not in raw
    assert list(g.events.values_list("action", "from_state", "to_state")) == [("register", "", "registered")]


def test_registration_needs_the_county_office_and_a_reporter_or_anonymous(users):
    for who in ("clerk", "township", "analyst"):
        with pytest.raises(PermissionDenied):
            gf.register(users[who])
    with pytest.raises(ValidationError) as err:
        services.register(actor=users["county"], channel="hotline", category="funds", division_code=f.VILLAGE_A,
                          subject="x", content="y")
    assert "reporter_name" in err.value.message_dict
    g, _ = gf.register(users["county"], anonymous=True)
    assert g.anonymous and g.reporter_name == "" and g.reporter_phone == ""
    with pytest.raises(ValidationError) as err:
        gf.register(users["county"], category="nonsense", division="999999999999")
    assert {"category", "division"} <= set(err.value.message_dict)


def test_the_whole_path_writes_one_event_per_action(users):
    g, _ = gf.register(users["county"], on=DAY0)
    g = gf.walk(g, users, State.ARCHIVED, on=DAY0 + dt.timedelta(days=1))
    assert g.state == State.ARCHIVED and g.outcome == "partly_true" and g.satisfaction == "satisfied"
    assert g.accepted_on == DAY0 + dt.timedelta(days=1) and g.conclude_by == DAY0 + dt.timedelta(days=31)
    assert g.handling_division_id == f.VILLAGE_A
    assert list(g.events.values_list("action", "from_state", "to_state")) == [
        ("register", "", "registered"), ("accept", "registered", "accepted"), ("assign", "accepted", "assigned"),
        ("investigate", "assigned", "investigating"), ("conclude", "investigating", "concluded"),
        ("follow_up", "concluded", "followed_up"), ("archive", "followed_up", "archived")]
    assert g.events.get(action="assign").actor == users["county"]
    assert g.events.get(action="conclude").actor == users["clerk"]


def test_reject_needs_a_reason_and_then_only_archive(users):
    g, _ = gf.register(users["county"])
    with pytest.raises(ValidationError):
        services.reject(actor=users["county"], grievance=g, reason="  ")
    g = services.reject(actor=users["county"], grievance=g, reason="不属于扶贫领域")
    assert g.state == State.REJECTED and g.reject_reason == "不属于扶贫领域"
    for action in (lambda: services.accept(actor=users["county"], grievance=g),
                   lambda: services.assign(actor=users["county"], grievance=g, division_code=f.VILLAGE_A)):
        with pytest.raises(services.GrievanceConflict):
            action()
    assert services.archive(actor=users["county"], grievance=g).state == State.ARCHIVED


@pytest.mark.parametrize("state, refused", [
    (State.REGISTERED, ["assign", "investigate", "note", "conclude", "follow_up", "archive"]),
    (State.ACCEPTED, ["accept", "reject", "investigate", "conclude", "follow_up", "archive"]),
    (State.ASSIGNED, ["accept", "reject", "note", "conclude", "follow_up", "archive"]),
    (State.INVESTIGATING, ["accept", "reject", "assign", "investigate", "follow_up", "archive"]),
    (State.CONCLUDED, ["accept", "reject", "assign", "investigate", "conclude", "archive"]),
    (State.FOLLOWED_UP, ["accept", "reject", "assign", "investigate", "conclude", "follow_up"]),
    (State.ARCHIVED, ["accept", "reject", "assign", "investigate", "conclude", "follow_up", "archive"]),
])
def test_actions_out_of_order_are_conflicts(users, state, refused):
    g, _ = gf.register(users["county"])
    g = gf.walk(g, users, state) if state != State.REGISTERED else g
    admin = users["admin"]  # every role: only the state refuses
    args = {"accept": {}, "reject": {"reason": "理由"}, "assign": {"division_code": f.VILLAGE_A},
            "investigate": {}, "note": {"text": "记录"},
            "conclude": {"outcome": "untrue", "findings": "查无实据", "measures": ""},
            "follow_up": {"satisfaction": "fairly"}, "archive": {}}
    for name in refused:
        with pytest.raises(services.GrievanceConflict):
            services.ACTIONS[name](actor=admin, grievance=g, **args[name])
    assert Grievance.objects.get(pk=g.pk).state == state


def test_roles_and_scope(users):
    g, _ = gf.register(users["county"])
    with pytest.raises(Http404):  # the village does not even see it before it is assigned there
        services.accept(actor=users["clerk"], grievance=g)
    with pytest.raises(Http404):  # nor the township: the county office handles it until it is assigned
        services.accept(actor=users["township"], grievance=g)
    g = gf.walk(g, users, State.ASSIGNED)
    with pytest.raises(Http404):
        services.investigate(actor=users["clerk_b"], grievance=g)
    with pytest.raises(PermissionDenied):
        services.investigate(actor=users["analyst"], grievance=g)
    g = services.investigate(actor=users["clerk"], grievance=g)
    with pytest.raises(ValidationError) as err:
        services.conclude(actor=users["clerk"], grievance=g, outcome="true", findings="属实", measures="")
    assert "measures" in err.value.message_dict
    g = services.conclude(actor=users["clerk"], grievance=g, outcome="true", findings="属实", measures="补发")
    with pytest.raises((PermissionDenied, Http404)):  # follow-up is the county office's
        services.follow_up(actor=users["clerk"], grievance=g, satisfaction="satisfied")


def test_an_anonymous_grievance_is_archived_without_follow_up(users):
    g, _ = gf.register(users["county"], anonymous=True)
    g = gf.walk(g, users, State.CONCLUDED)
    assert services.available_actions(users["county"], g) == ["archive"]
    with pytest.raises(services.GrievanceConflict):
        services.follow_up(actor=users["county"], grievance=g, satisfaction="satisfied")
    assert services.archive(actor=users["county"], grievance=g).state == State.ARCHIVED


def test_links_by_number_within_the_county(users, household_a):
    g, _ = gf.register(users["county"], links={"household_no": household_a.household.household_no})
    assert g.household_id == household_a.household_id
    with pytest.raises(ValidationError) as err:
        gf.register(users["county"], links={"household_no": "NOPE", "case_id": "abc", "cadre_no": "C404"})
    assert set(err.value.message_dict) == {"household_no", "case_id", "cadre_no"}


def test_policy_parameters_set_the_deadlines():
    from sunshine.policy.parameters import StandardParameters

    p = StandardParameters()
    assert (p.grievance_accept_days, p.grievance_conclude_days) == (3, 30)
