"""Client addresses behind a reverse proxy, and no caching of personal data."""

from __future__ import annotations

from django.test import Client

from sunshine.testing import factories as f


def fail_logins(client: Client, forwarded: str, times: int = 3) -> int:
    status = 0
    for _ in range(times):
        status = client.post("/login/", {"username": "clerk_a", "password": "not-the-password"},
                             REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded).status_code
    return status


def can_log_in(client: Client, forwarded: str) -> bool:
    response = client.post("/login/", {"username": "clerk_a", "password": f.PASSWORD},
                           REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    return response.status_code == 302


def test_behind_one_proxy_each_client_address_is_locked_on_its_own(users, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.SUNSHINE_TRUSTED_PROXY_COUNT = 1
    assert fail_logins(Client(), "198.51.100.7") in (403, 429)
    assert not can_log_in(Client(), "198.51.100.7")
    # Another client behind the same proxy is not locked out by the first one's failures.
    assert can_log_in(Client(), "203.0.113.9")


def test_without_a_configured_proxy_a_forged_forwarded_header_is_ignored(users, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.SUNSHINE_TRUSTED_PROXY_COUNT = 0
    assert fail_logins(Client(), "198.51.100.7") in (403, 429)
    # Changing the header does not escape the lockout: the address counted is the connection's.
    assert not can_log_in(Client(), "203.0.113.9")


def test_pages_and_api_answers_are_not_cached_static_files_are(client: Client, users, household_a):
    client.force_login(users["clerk"])
    page = client.get(f"/households/{household_a.household.household_no}/")
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    api = client.get("/api/households")
    assert api.status_code == 200 and "no-store" in api["Cache-Control"]
    anonymous = Client().get("/api/households")
    assert "no-store" in anonymous["Cache-Control"]
