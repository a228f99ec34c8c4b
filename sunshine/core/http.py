"""The client's address and response headers shared by every view.

Behind a reverse proxy (nginx in front of gunicorn) REMOTE_ADDR is the proxy's: the client is the entry the
outermost trusted proxy appended to X-Forwarded-For. Without a configured proxy the header is ignored, since
anyone can send it — trusting it would let an attacker pick the address a lockout or rate limit counts."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or X-Forwarded-For as far as SUNSHINE_TRUSTED_PROXY_COUNT allows."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    count = int(getattr(settings, "SUNSHINE_TRUSTED_PROXY_COUNT", 0) or 0)
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if not forwarded:
        return remote
    # Each trusted proxy appended the address it saw; the client is `count` entries from the right.
    return forwarded[-count] if len(forwarded) >= count else forwarded[0]


# Paths whose responses carry no personal data and may be cached by the browser.
CACHEABLE_PREFIXES = ("/static/", "/favicon")


class NoStoreMiddleware:
    """Pages, exports and API answers may carry personal data: no browser or proxy may keep a copy.
    Static files keep their caching; anonymous public pages may be cached briefly."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        path = request.path
        if path.startswith(CACHEABLE_PREFIXES):
            return response
        user = getattr(request, "user", None)
        personal = (user is not None and user.is_authenticated) or path.startswith("/api/") \
            or response.has_header("Content-Disposition")
        if personal:
            response["Cache-Control"] = "no-store, private"
            response["Pragma"] = "no-cache"
        elif not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-cache"
        return response


# Browser features a page may use. Cadres will photograph documents and record where a visit took place on their
# phones, so the camera and geolocation stay available to our own pages; everything else is switched off, also for
# anything a future page might embed. Only features Chromium and Firefox recognise: an unknown name is logged as a
# console error on every page.
PERMISSIONS_POLICY = {
    "camera": "(self)",
    "geolocation": "(self)",
    "microphone": "()",
    "payment": "()",
    "usb": "()",
    "serial": "()",
    "bluetooth": "()",
    "hid": "()",
    "midi": "()",
    "magnetometer": "()",
    "gyroscope": "()",
    "accelerometer": "()",
    "display-capture": "()",
}


def permissions_policy_header() -> str:
    """The Permissions-Policy value: settings.SUNSHINE_PERMISSIONS_POLICY (same shape) replaces the default."""
    policy = getattr(settings, "SUNSHINE_PERMISSIONS_POLICY", None) or PERMISSIONS_POLICY
    return ", ".join(f"{feature}={allow}" for feature, allow in policy.items())


class PermissionsPolicyMiddleware:
    """Adds Permissions-Policy to every response. Django's SecurityMiddleware already sets Referrer-Policy,
    X-Content-Type-Options and Cross-Origin-Opener-Policy, and django-csp the Content-Security-Policy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.value = permissions_policy_header()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Permissions-Policy"):
            response["Permissions-Policy"] = self.value
        return response
