"""A database too busy to take a write right now: a clear Chinese "try again" (HTTP 503), never a 500.

SQLite has one write lock. A write (a page edit, an API call) made while an import holds it waits up to the
busy timeout (settings: ``SUNSHINE_SQLITE_BUSY_TIMEOUT``) and then fails with "database is locked". On
PostgreSQL the same happens when a statement outlives ``statement_timeout`` or a lock wait gives up. Either
way nothing was written (the request's transaction rolled back), so the user can simply retry.

:class:`DatabaseBusyMiddleware` answers such a failure with 503: a Chinese page, or ``{"detail": ...}`` under
/api/. The ninja API gets the same answer through :func:`busy_response` (its exception handlers run first).
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Iterator
from typing import Any

from django.core.signals import got_request_exception
from django.db import DatabaseError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.templatetags.static import static
from django.utils.html import escape
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10
# PostgreSQL SQLSTATEs of "not now": query_canceled (statement_timeout), lock_not_available (lock_timeout),
# serialization_failure, deadlock_detected.
_PG_BUSY_STATES = {"57014", "55P03", "40001", "40P01"}
_SQLITE_BUSY_TEXT = ("database is locked", "database table is locked", "database schema is locked")


def busy_message() -> str:
    return _("系统正忙(其他用户正在导入或写入数据),本次操作未保存。请稍候几秒后重试。")


def is_busy_error(exc: BaseException | None) -> bool:
    """True for a lock wait that gave up or a statement cancelled by its timeout (the data are unchanged)."""
    while exc is not None:
        if isinstance(exc, DatabaseError):
            cause = exc.__cause__ or exc
            state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
            if state in _PG_BUSY_STATES:
                return True
            if isinstance(exc, OperationalError) and any(t in str(exc).lower() for t in _SQLITE_BUSY_TEXT):
                return True
        exc = exc.__cause__ if exc.__cause__ is not exc else None
    return False


def busy_response(request: HttpRequest) -> HttpResponse:
    """503 with the retry message: JSON under /api/, else a small page that needs no database."""
    message = busy_message()
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"detail": message}, status=503, json_dumps_params={"ensure_ascii": False})
    else:
        title = escape(_("系统正忙"))
        again = escape(_("返回上一页"))
        # No javascript: link (the Content-Security-Policy blocks it): forms.js goes back on data-history-back,
        # which keeps what the user typed; without script the link reloads this address.
        body = (
            '<!doctype html><html lang="zh-hans"><head><meta charset="utf-8">'
            f'<title>{title}</title><script src="{escape(static("sunshine/forms.js"))}" defer></script></head>'
            f"<body><main><h1>{title}</h1><p>{escape(message)}</p>"
            f'<p><a href="{escape(request.get_full_path())}" data-history-back>{again}</a></p></main></body></html>'
        )
        response = HttpResponse(body, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseBusyMiddleware:
    """Turns a busy database into 503 + retry message, for exceptions raised by views (process_exception)
    and by the middlewares inside this one (a session save, say: Django turns those into a 500 before they
    reach here, so the 500 is replaced when :func:`_note_busy` saw a busy error for this request)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, "_sunshine_db_busy", False):
            return busy_response(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_busy_error(exception):
            return None
        logger.warning("database busy, answered 503: %s %s", request.method, request.path)
        return busy_response(request)


def _note_busy(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    if request is not None and is_busy_error(sys.exc_info()[1]):
        request._sunshine_db_busy = True  # type: ignore[attr-defined]


got_request_exception.connect(_note_busy, dispatch_uid="sunshine.core.busy")


@contextlib.contextmanager
def sqlite_no_wait(using: str = "default") -> Iterator[None]:
    """Within the block, an SQLite write fails at once instead of waiting for the write lock (for optional
    bookkeeping writes that must never hold up a read). No-op on other databases."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        yield
        return
    timeout_ms = int(float(connection.settings_dict.get("OPTIONS", {}).get("timeout", 5)) * 1000)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout = 0")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {timeout_ms}")


def try_write(write: Callable[[], Any], using: str = "default") -> bool:
    """Run an optional write without waiting for a busy database; False (and nothing written) if it was busy."""
    try:
        with sqlite_no_wait(using):
            write()
    except OperationalError as exc:
        if not is_busy_error(exc):
            raise
        return False
    return True
