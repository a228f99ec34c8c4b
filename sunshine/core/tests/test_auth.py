"""Login: argon2 hashes, rate limiting, logout; `sunshine init` is idempotent; logs are masked."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.core.management import call_command
from django.test import Client

from sunshine.core.models import User
from sunshine.testing import factories as f


def test_passwords_are_hashed_with_argon2(users):
    assert identify_hasher(users["clerk"].password).algorithm == "argon2"
    assert users["clerk"].check_password(f.PASSWORD)


def test_login_is_rate_limited(client: Client, users, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        response = client.post("/login/", {"username": "clerk_a", "password": "not-the-password"})
    assert response.status_code in (403, 429)
    # Even the right password is refused while locked out.
    response = client.post("/login/", {"username": "clerk_a", "password": f.PASSWORD})
    assert response.status_code in (403, 429)
    assert "登录尝试过多" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_and_logout(client: Client, users):
    response = client.post("/login/", {"username": "clerk_a", "password": f.PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # the to-do and the user's division
    client.post("/logout/")
    assert client.get("/households/").status_code == 302


def test_user_without_division_sees_nothing(client: Client, region):
    user = User.objects.create(username="nobody", roles=["county_manager"])
    client.force_login(user)
    assert client.get("/").status_code == 403
    assert "没有符合条件的农户" in client.get("/households/").content.decode()


@pytest.mark.django_db
def test_init_is_idempotent():
    call_command("init", verbosity=0)
    call_command("init", verbosity=0)
    from sunshine.core.models import Division

    assert Division.objects.filter(level="city").count() == 13
    assert Division.objects.filter(is_key_county=True).count() == 12
    assert set(Division.objects.filter(level="city", is_northern=True).values_list("code", flat=True)) == {
        "320300000000", "320700000000", "320800000000", "320900000000", "321300000000"}


def test_logs_never_carry_a_full_id_number(caplog):
    from sunshine.core.logging import MaskIdNumbersFilter

    logger = logging.getLogger("sunshine.test")
    logger.addFilter(MaskIdNumbersFilter())
    with caplog.at_level(logging.WARNING):
        logger.warning("bad row for %s", "32032119800101123X")
    assert "32032119800101123X" not in caplog.text
    assert "320321********123X" in caplog.text
