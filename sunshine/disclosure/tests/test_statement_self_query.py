"""The public self-query: right, wrong (one message, whichever part), locked per code and per address (even
the right answer), the lock lifting after an hour, no hint whether a code exists, never cached, logged."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from sunshine.core.models import AccessLog, RateEvent
from sunshine.disclosure.statements import codes

pytestmark = pytest.mark.django_db
URL = "/public/statements/"


@pytest.fixture
def code(household_a):
    return codes.ensure_codes([household_a.household_id], 2020)[household_a.household_id]


def ask(client: Client, household_a, code: str, *, name: str = "甲户主", tail: str | None = None,
        address: str = "10.0.0.1"):
    tail = household_a.head_id_number[-6:] if tail is None else tail
    return client.post(URL, {"name": name, "id_tail": tail, "code": code}, REMOTE_ADDR=address)


WRONG = "查询信息不正确"


def _page(response) -> str:
    """The page without its form token (a new one each time)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


def test_form_prefills_the_code_and_is_not_cached(client, code):
    response = client.get(f"{URL}?code={code.lower()}")
    body = response.content.decode()
    assert response.status_code == 200 and f'value="{code}"' in body and "户主身份证号后6位" in body
    assert "no-store" in response["Cache-Control"]


def test_right_answer_shows_the_statement_masked_and_logs_it(client, household_a, code):
    response = ask(client, household_a, code.lower(), name=" 甲户主 ")
    body = response.content.decode()
    assert response.status_code == 200 and 'data-testid="statement"' in body and "甲户主" in body
    assert household_a.head_id_number not in body and household_a.head_id_number[:6] + "*" * 8 in body
    assert "no-store" in response["Cache-Control"] and code not in body
    row = AccessLog.objects.get(object_type="statement_self_query")
    assert row.user is None and row.object_ref == f"{household_a.household.household_no}/2020"
    assert row.ip_address == "10.0.0.1"


def test_name_is_compared_after_nfkc_and_x_in_any_case(client, users, code):
    from sunshine.testing import factories as f

    head_id = f.new_id()
    while not head_id.endswith("X"):
        head_id = f.new_id()
    hy = f.make_household(users["county"], village=f.VILLAGE_A, head_name="Ａ李", head_id=head_id)
    own = codes.ensure_codes([hy.household_id], 2020)[hy.household_id]
    response = client.post(URL, {"name": "A李", "id_tail": head_id[-6:].lower(), "code": own})
    assert response.status_code == 200 and 'data-testid="statement"' in response.content.decode()


def test_every_wrong_part_gets_the_same_answer(client, household_a, household_b, code):
    other = codes.ensure_codes([household_b.household_id], 2020)[household_b.household_id]
    answers = [ask(client, household_a, code, name="乙户主"),            # wrong name
               ask(client, household_a, code, tail="000000"),            # wrong ID digits
               ask(client, household_a, other),                          # another household's code
               ask(client, household_a, "ZZZZZZZZ")]                     # no such code
    bodies = {_page(r).replace("乙户主", "甲户主") for r in answers}
    assert {r.status_code for r in answers} == {400} and len(bodies) == 1
    assert WRONG in bodies.pop()


def test_five_wrong_tries_lock_the_code_even_for_the_right_answer_then_an_hour_later_it_opens(
        client, household_a, code):
    for i in range(5):   # each from another address: the code's own limit
        assert ask(client, household_a, code, tail="000000", address=f"10.0.1.{i}").status_code == 400
    locked = ask(client, household_a, code, address="10.0.2.1")
    assert locked.status_code == 429 and "尝试次数过多" in locked.content.decode()
    assert 'data-testid="statement"' not in locked.content.decode()
    RateEvent.objects.update(at=RateEvent.objects.first().at - dt.timedelta(hours=1, minutes=1))
    assert ask(client, household_a, code, address="10.0.2.1").status_code == 200


def test_five_wrong_tries_lock_the_address_for_every_code(client, household_a, household_b, code):
    for i in range(5):
        assert ask(client, household_a, f"ABCDEFG{codes.ALPHABET[i]}").status_code == 400
    assert ask(client, household_a, code).status_code == 429
    # Another address is not locked.
    assert ask(client, household_a, code, address="10.9.9.9").status_code == 200


def test_the_lock_does_not_tell_whether_a_code_exists(client, household_a, code):
    for i in range(5):
        ask(client, household_a, code, tail="000000", address=f"10.0.3.{i}")
        ask(client, household_a, "XXXXXXXX", tail="000000", address=f"10.0.4.{i}")
    real = ask(client, household_a, code, address="10.0.5.1")
    fake = ask(client, household_a, "XXXXXXXX", address="10.0.5.2")
    assert real.status_code == fake.status_code == 429
    assert _page(real) == _page(fake)


def test_a_revoked_code_stops_working(client, users, household_a, code):
    codes.reissue(actor=users["county"], household=household_a.household, year=2020)
    assert ask(client, household_a, code).status_code == 400
