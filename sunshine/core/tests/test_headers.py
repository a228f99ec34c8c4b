"""Security headers on every kind of response, templates free of inline script and style, and the HTTPS
deployment settings taken from the environment."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

from sunshine.testing import factories as f

SUNSHINE = Path(__file__).resolve().parents[2]


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def assert_security_headers(response) -> None:
    csp = directives(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert response["Referrer-Policy"] == "same-origin"
    permissions = dict(item.strip().split("=", 1) for item in response["Permissions-Policy"].split(","))
    assert permissions["camera"] == "(self)" and permissions["geolocation"] == "(self)"
    for feature in ("microphone", "payment", "usb"):
        assert permissions[feature] == "()"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", ["/login/", "/public/notices/", "/public/projects/", "/api/docs", "/no-such-page/"])
def test_anonymous_pages_carry_the_security_headers(db, path):
    response = Client().get(path)
    assert response.status_code in (200, 404), path
    assert_security_headers(response)


def test_logged_in_pages_api_and_admin_carry_the_security_headers(users, household_a):
    client = Client()
    client.force_login(users["admin"])
    for path in ("/", "/households/", "/api/households?year=2020", "/admin/", "/admin/core/user/", "/users/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_security_headers(response)


def test_the_busy_page_needs_no_inline_script():
    """The 503 retry page's back link was javascript:history.back(), which the policy blocks."""
    from django.test import RequestFactory

    from sunshine.core.busy import busy_response

    body = busy_response(RequestFactory().get("/households/")).content.decode()
    assert "javascript:" not in body and "<script>" not in body and "data-history-back" in body


TEMPLATE_DIRS = [SUNSHINE / "templates", *sorted(SUNSHINE.glob("*/templates"))]
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "inline event handler"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"<style\b", re.I), "<style> block"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
    (re.compile(r"\shx-on[:-]", re.I), "hx-on (htmx evaluates it)"),
]


def test_no_template_has_inline_script_or_style():
    """Every page runs under script-src/style-src 'self': such markup would be blocked (and break the page)."""
    found = []
    for directory in TEMPLATE_DIRS:
        for template in directory.rglob("*.html"):
            if template.name.startswith("pdf_"):
                continue  # rendered by WeasyPrint into a PDF, never served to a browser (no CSP applies)
            text = template.read_text(encoding="utf-8")
            for pattern, what in INLINE:
                for match in pattern.finditer(text):
                    line = text.count("\n", 0, match.start()) + 1
                    found.append(f"{template.relative_to(SUNSHINE)}:{line}: {what}")
    assert not found, "\n".join(found)


def test_htmx_is_configured_not_to_inject_styles_or_eval(users):
    client = Client()
    client.force_login(users["county"])
    page = client.get("/").content.decode()
    config = re.search(r'<meta name="htmx-config" content=\'([^\']+)\'>', page)
    assert config, "htmx-config meta missing"
    assert json.loads(config.group(1)) == {
        "includeIndicatorStyles": False, "allowEval": False, "allowScriptTags": False}
    css = (SUNSHINE / "core/static/sunshine/sunshine.css").read_text()
    assert ".htmx-request .htmx-indicator" in css


def settings_under(env: dict[str, str]) -> dict:
    """The settings module imported in a fresh interpreter with `env` added to the environment."""
    code = (
        "import json; from sunshine.config import settings as s; "
        "print(json.dumps({k: getattr(s, k, None) for k in ("
        "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', "
        "'SECURE_PROXY_SSL_HEADER', 'SECURE_SSL_REDIRECT', 'SECURE_REFERRER_POLICY')}))"
    )
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("SUNSHINE_HTTPS", "SUNSHINE_HSTS", "SUNSHINE_PROXY", "SUNSHINE_SSL",
                                  "SUNSHINE_TRUSTED_PROXY"))}
    result = subprocess.run([sys.executable, "-c", code], env={**clean, **env},  # noqa: S603
                            capture_output=True, text=True, check=True, cwd=SUNSHINE.parent)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_https_settings_are_off_by_default():
    values = settings_under({})
    assert values["SESSION_COOKIE_SECURE"] is None and values["SECURE_HSTS_SECONDS"] is None
    assert values["SECURE_PROXY_SSL_HEADER"] is None and values["SECURE_REFERRER_POLICY"] == "same-origin"


def test_https_turns_on_secure_cookies_and_hsts_but_trusts_no_header_without_a_proxy():
    values = settings_under({"SUNSHINE_HTTPS": "1"})
    assert values["SESSION_COOKIE_SECURE"] is True and values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] == 31536000
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_PROXY_SSL_HEADER"] is None  # a client could send X-Forwarded-Proto itself


def test_https_behind_a_proxy_trusts_its_ssl_header():
    values = settings_under({"SUNSHINE_HTTPS": "1", "SUNSHINE_TRUSTED_PROXY_COUNT": "1",
                             "SUNSHINE_HSTS_SECONDS": "600", "SUNSHINE_SSL_REDIRECT": "1"})
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SECURE_HSTS_SECONDS"] == 600 and values["SECURE_SSL_REDIRECT"] is True
    custom = settings_under({"SUNSHINE_HTTPS": "1", "SUNSHINE_PROXY_SSL_HEADER": "X-Forwarded-Ssl: on"})
    assert custom["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_SSL", "on"]


def test_secure_cookies_and_hsts_reach_the_response(users, settings):
    """With the settings SUNSHINE_HTTPS=1 sets, a login over HTTPS gets Secure cookies and the HSTS header."""
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client = Client()
    login = client.get("/login/", HTTP_X_FORWARDED_PROTO="https")
    assert login["Strict-Transport-Security"] == "max-age=31536000"
    response = client.post("/login/", {"username": "clerk_a", "password": f.PASSWORD},
                           HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 302
    assert response.cookies[django_settings.SESSION_COOKIE_NAME]["secure"] is True
    assert client.cookies[django_settings.CSRF_COOKIE_NAME]["secure"] is True
