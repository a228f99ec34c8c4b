"""Odd input gets a 400 with a Chinese message, never a 500.

- A NUL character (``%00``, ``\\u0000``) in the path, a query parameter, a form field, a cookie or a JSON string:
  PostgreSQL cannot store or even compare text holding NUL, so the request is refused before any view runs.
  (Uploaded files are not looked at here: a NUL inside an import file is a row error of the import.)
- A number too large for the database (``?year=99999999999999999999``): SQLite raises OverflowError and
  PostgreSQL DataError while binding it; the request is answered 400 instead of 500. The JSON API answers
  the same through its own exception handlers (sunshine.core.api), which this middleware backs up.

API paths (/api/…) get ``{"detail": "…"}`` as the API's other errors; pages get a short HTML page."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from django.db import DataError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.html import escape
from django.utils.translation import gettext as _

NUL = "\x00"
JSON_TYPES = ("application/json", "application/merge-patch+json")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def nul_message() -> str:
    return _("请求中含有不允许的控制字符(NUL),请删除后重试")


def overflow_message() -> str:
    return _("请求中的数值或文字超出允许的范围")


def _has_nul(values: Iterable[tuple[str, Any]]) -> bool:
    return any(NUL in key or (isinstance(value, str) and NUL in value) for key, value in values)


def _json_has_nul(data: Any) -> bool:
    if isinstance(data, str):
        return NUL in data
    if isinstance(data, dict):
        return any(NUL in k or _json_has_nul(v) for k, v in data.items())
    if isinstance(data, list):
        return any(_json_has_nul(v) for v in data)
    return False


def request_has_nul(request: HttpRequest) -> bool:
    """True when the path, a query parameter, a cookie, a form field or a JSON string holds a NUL."""
    if NUL in request.path or _has_nul(request.GET.items()) or _has_nul(request.COOKIES.items()):
        return True
    content_type = request.content_type or ""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    if content_type in FORM_TYPES:
        return _has_nul(request.POST.items())
    # The API reads a JSON body whatever its declared type.
    if content_type in JSON_TYPES or content_type.endswith("+json") or request.path.startswith("/api/"):
        body = request.body
        if b"\x00" in body:
            return True
        if b"\\u0000" not in body.lower():
            return False  # the usual case: no escaped NUL anywhere, nothing to parse
        try:
            return _json_has_nul(json.loads(body))
        except ValueError:
            return False  # not JSON: the API answers that itself
    return False


def bad_request(request: HttpRequest, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=400, json_dumps_params={"ensure_ascii": False})
    page = (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(_("请求有误"))}</title>'
            f"</head><body><h1>{escape(_('请求有误'))}</h1><p>{escape(message)}</p></body></html>")
    return HttpResponseBadRequest(page, content_type="text/html; charset=utf-8")


class InputGuardMiddleware:
    """NUL anywhere in a request → 400; a number the database cannot hold → 400 (see the module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request_has_nul(request):
            return bad_request(request, nul_message())
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OverflowError | DataError):
            return bad_request(request, overflow_message())
        return None
