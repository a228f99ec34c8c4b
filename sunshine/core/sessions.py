"""Login sessions end on the server after an idle time and after an absolute limit (等保 2.0 level 3:
登录连接超时自动退出).

The session stores when the user logged in and when they were last seen. A request past either limit
(``SUNSHINE_SESSION_IDLE_MINUTES``, default 30; ``SUNSHINE_SESSION_MAX_HOURS``, default 8) logs the user out —
the session row is deleted (``flush``), so the old cookie is worthless even if replayed — and is answered with
a Chinese message: a redirect to the login page for a page, 401 for the JSON API and for htmx requests (which
would otherwise swap a whole login page into a fragment).

"Last seen" is written at most once a minute, and only when the database can take the write at once: a session
save is a write, and on SQLite every write waits for the one write lock (an import may hold it for long). A
request whose activity was not written still counts from the last one written, so the idle time may be
measured up to a minute short — never long.

Bearer-token API requests carry no session and are not affected here (their expiry is the token's own).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.views import redirect_to_login
from django.contrib.messages.storage import default_storage
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

LOGIN_AT = "_sunshine_login_at"
SEEN_AT = "_sunshine_seen_at"
TOUCH_SECONDS = 60  # how stale "last seen" may get before it is written again


def expired_message() -> str:
    return _("会话已超时,请重新登录")


def idle_seconds() -> float:
    return float(settings.SUNSHINE_SESSION_IDLE_MINUTES) * 60


def max_seconds() -> float:
    return float(settings.SUNSHINE_SESSION_MAX_HOURS) * 3600


def _wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return request.path.startswith("/api/") or ("application/json" in accept and "text/html" not in accept)


class SessionTimeoutMiddleware:
    """Placed right after AuthenticationMiddleware (before the views and the password-change check)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session: SessionBase | None = getattr(request, "session", None)
        if session is None:
            return self.get_response(request)
        now = time.time()
        if SESSION_KEY in session:  # a logged-in session (a bearer token's request has none)
            login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
            if _is_time(login_at) and _is_time(seen_at) and (
                    now - seen_at > idle_seconds() or now - login_at > max_seconds()):
                return self._expired(request)
        response = self.get_response(request)
        # After the view: the login page has just logged someone in, or logout has emptied the session.
        if SESSION_KEY in request.session:
            self._record(request.session, int(now))
        return response

    @staticmethod
    def _record(session: SessionBase, now: int) -> None:
        """Start the clocks of a new login (or of a session made before these limits existed), or note the
        activity when the last note is a minute old. If the session is being saved anyway (a login changes
        it), the note goes with it; otherwise it is saved here without waiting for a busy database (skipped
        then: a later request writes it)."""
        from sunshine.core.busy import try_write

        if not _is_time(session.get(LOGIN_AT)) or not _is_time(session.get(SEEN_AT)):
            session[LOGIN_AT] = now
        elif now - session[SEEN_AT] < TOUCH_SECONDS:
            return
        pending = session.modified
        session[SEEN_AT] = now
        if pending:
            return
        try_write(session.save)
        # Saved, or skipped because the database is busy: either way SessionMiddleware must not save it again.
        session.modified = False

    def _expired(self, request: HttpRequest) -> HttpResponse:
        logout(request)  # flush(): the session row is deleted, the cookie is worth nothing from now on
        message = expired_message()
        if _wants_json(request):
            return JsonResponse({"detail": message}, status=401, json_dumps_params={"ensure_ascii": False})
        if request.headers.get("HX-Request") == "true":
            # htmx follows HX-Redirect to a full page load (the login page, back to the page afterwards).
            page = request.headers.get("HX-Current-URL", "") or request.get_full_path()
            response = HttpResponse(message, status=401, content_type="text/plain; charset=utf-8")
            response["HX-Redirect"] = f"{reverse(settings.LOGIN_URL)}?next={quote(_local_path(page))}"
            return response
        # MessageMiddleware sits further in and never runs for this answer: store the message ourselves.
        request._messages = default_storage(request)  # type: ignore[attr-defined]
        messages.warning(request, message)
        response = redirect_to_login(_back_to(request))
        request._messages.update(response)  # type: ignore[attr-defined]
        return response


def _back_to(request: HttpRequest) -> str:
    """Where login leads back to: the page asked for, when it can be asked for again. Not after a form's POST
    (the URL may accept POST only: 405), nor to the login or logout page themselves (a redirect loop)."""
    if request.method not in ("GET", "HEAD") or request.path in (reverse(settings.LOGIN_URL), reverse("logout")):
        return reverse(settings.LOGIN_REDIRECT_URL)
    return request.get_full_path()


def _is_time(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _local_path(url: str) -> str:
    """The path and query of a page URL (HX-Current-URL is absolute): never redirect to another site."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if not path.startswith("/") or path[1:2] in ("/", "\\"):  # //host and /\host are other sites to a browser
        path = "/"
    return path + (f"?{parts.query}" if parts.query else "")
