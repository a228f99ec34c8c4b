"""Login sessions: idle timeout and absolute limit, ended on the server; logout ends the session for good
(issue 12, "Sessions and tokens")."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from sunshine.core import sessions
from sunshine.core.sessions import LOGIN_AT, SEEN_AT
from sunshine.testing import factories as f

EXPIRED = "会话已超时,请重新登录"


def logged_in(username: str = "clerk_a") -> Client:
    """A login through the login page, as a person does it (the session then has the axes and audit trail)."""
    client = Client()
    response = client.post("/login/", {"username": username, "password": f.PASSWORD})
    assert response.status_code == 302, response.content
    assert client.get("/").status_code == 200  # the clocks start
    return client


def age(client: Client, *, idle: float = 0, since_login: float = 0) -> None:
    """Moves the session's clocks into the past, as if the user had been away."""
    session = client.session
    now = time.time()
    session[SEEN_AT] = int(now - idle)
    session[LOGIN_AT] = int(now - since_login)
    session.save()


def session_key(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_defaults_are_thirty_minutes_idle_and_eight_hours_in_all():
    assert settings.SUNSHINE_SESSION_IDLE_MINUTES == 30
    assert settings.SUNSHINE_SESSION_MAX_HOURS == 8
    assert settings.SESSION_COOKIE_AGE == 8 * 3600


def test_limits_come_from_the_environment():
    env = {**os.environ, "SUNSHINE_SESSION_IDLE_MINUTES": "15", "SUNSHINE_SESSION_MAX_HOURS": "4",
           "SUNSHINE_TOKEN_DAYS": "30", "DJANGO_SETTINGS_MODULE": "sunshine.config.settings"}
    code = ("from django.conf import settings as s; "
            "print(s.SUNSHINE_SESSION_IDLE_MINUTES, s.SUNSHINE_SESSION_MAX_HOURS, s.SESSION_COOKIE_AGE, "
            "s.SUNSHINE_TOKEN_DAYS)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,  # noqa: S603
                         check=True)
    assert out.stdout.split() == ["15.0", "4.0", "14400", "30"]


def test_an_active_session_goes_on(users):
    client = logged_in()
    age(client, idle=29 * 60, since_login=7 * 3600)
    assert client.get("/households/").status_code == 200


def test_an_idle_session_ends_on_the_server_with_a_chinese_message(users):
    client = logged_in()
    key = session_key(client)
    age(client, idle=31 * 60, since_login=31 * 60)
    response = client.get("/households/?year=2020")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/households/%3Fyear%3D2020"
    assert not Session.objects.filter(session_key=key).exists()  # flushed, not just forgotten by the browser
    page = client.get(response["Location"])
    assert EXPIRED in page.content.decode()
    # The old cookie, sent again, is a stranger.
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    assert replay.get("/households/").status_code == 302


def test_after_a_form_post_or_on_the_login_page_login_leads_home(users):
    client = logged_in()
    age(client, idle=31 * 60, since_login=31 * 60)
    response = client.post("/account/tokens/", {"name": "x", "days": "30"})
    assert response["Location"] == "/login/?next=/"  # not back to a URL that may take POST only
    assert EXPIRED in client.get(response["Location"]).content.decode()
    client = logged_in()
    age(client, idle=31 * 60, since_login=31 * 60)
    assert client.get("/login/")["Location"] == "/login/?next=/"  # never next=/login/ (a redirect loop)


def test_the_absolute_limit_ends_even_a_busy_session(users):
    client = logged_in()
    age(client, idle=10, since_login=8 * 3600 + 5)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@override_settings(SUNSHINE_SESSION_IDLE_MINUTES=2, SUNSHINE_SESSION_MAX_HOURS=1)
def test_the_limits_follow_the_settings(users):
    client = logged_in()
    age(client, idle=90, since_login=90)
    assert client.get("/").status_code == 200
    age(client, idle=150, since_login=150)
    assert client.get("/").status_code == 302
    client = logged_in()
    age(client, idle=10, since_login=3601)
    assert client.get("/").status_code == 302


def test_the_api_and_htmx_get_401_not_a_login_page(users):
    client = logged_in("county")
    age(client, idle=3600, since_login=3600)
    response = client.get("/api/divisions")
    assert response.status_code == 401
    assert response.json() == {"detail": EXPIRED}

    client = logged_in("county")
    age(client, idle=3600, since_login=3600)
    response = client.get("/households/", headers={"HX-Request": "true",
                                                   "HX-Current-URL": "http://testserver/households/?q=1"})
    assert response.status_code == 401
    assert response["HX-Redirect"] == "/login/?next=/households/%3Fq%3D1"
    assert EXPIRED in response.content.decode()


def test_htmx_redirect_never_leaves_the_site():
    assert sessions._local_path("https://evil.example//x?y=1") == "/?y=1"
    assert sessions._local_path("http://testserver/\\evil.example") == "/"
    assert sessions._local_path("http://testserver/cases/3/?tab=a") == "/cases/3/?tab=a"


def test_last_activity_is_written_at_most_once_a_minute(users):
    client = logged_in()
    age(client, idle=5, since_login=5)
    seen = client.session[SEEN_AT]
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/households/").status_code == 200
    writes = [q["sql"] for q in queries.captured_queries
              if "django_session" in q["sql"] and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))]
    assert writes == []
    assert client.session[SEEN_AT] == seen

    age(client, idle=90, since_login=90)
    assert client.get("/households/").status_code == 200
    assert client.session[SEEN_AT] >= int(time.time()) - 2


def test_a_busy_database_skips_the_activity_write_without_failing_the_request(users, monkeypatch):
    client = logged_in()
    age(client, idle=120, since_login=120)
    seen = client.session[SEEN_AT]
    monkeypatch.setattr("sunshine.core.busy.try_write", lambda write, using="default": False)
    assert client.get("/households/").status_code == 200
    assert client.session[SEEN_AT] == seen  # not written now; a later request will


def test_a_session_from_before_the_limits_gets_its_clocks_started(users):
    client = Client()
    client.force_login(users["clerk"], backend="django.contrib.auth.backends.ModelBackend")
    assert LOGIN_AT not in client.session
    assert client.get("/").status_code == 200
    assert abs(client.session[LOGIN_AT] - time.time()) < 5


def test_logout_ends_the_session_on_the_server(users):
    client = logged_in()
    key = session_key(client)
    assert Session.objects.filter(session_key=key).exists()
    response = client.post("/logout/")
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    assert replay.get("/").status_code == 302
    assert replay.get("/api/divisions").status_code == 401


def test_anonymous_requests_are_untouched(db):
    assert Client().get("/login/").status_code == 200
    assert Client().get("/api/divisions").json() == {"detail": "未登录或接口令牌无效"}


@pytest.mark.parametrize("path", ["/api/divisions", "/households/"])
def test_a_bearer_token_needs_no_session(users, path):
    from sunshine.core.models import ApiToken

    _, raw = ApiToken.issue(users["county"], name="script")
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    expected = 200 if path.startswith("/api/") else 302  # a token opens the API, never the pages
    assert client.get(path).status_code == expected
