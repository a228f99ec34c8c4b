"""A short cache of public pages (settings SUNSHINE_PUBLIC_CACHE_SECONDS; 0 switches it off).

Only anonymous GET/HEAD requests are served from it and only a plain 200 page is stored: never a page that
carries a form token (CSRF), a flash message or a cookie, so no visitor ever receives another visitor's token or
"thank you". Pages with a form cache their assembled context instead (``cached_value``). Everything cached is
public by definition (services.md §1), so a stale copy for at most the TTL is harmless; a notice that ended a
minute ago may show for that minute."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.contrib import messages
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.utils import translation

T = TypeVar("T")
CACHE_ALIAS = "public"
PREFIX = "sunshine.public."


def ttl() -> int:
    return max(0, int(getattr(settings, "SUNSHINE_PUBLIC_CACHE_SECONDS", 0) or 0))


def _cache():  # noqa: ANN202 - a Django cache backend
    return caches[CACHE_ALIAS] if CACHE_ALIAS in settings.CACHES else caches["default"]


def _anonymous(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return user is None or not user.is_authenticated


def _has_messages(request: HttpRequest) -> bool:
    storage = getattr(request, "_messages", None)
    # len() loads the stored messages without marking them read: the page will still show them.
    return storage is not None and len(messages.get_messages(request)) > 0


def _page_key(request: HttpRequest) -> str:
    raw = f"{request.get_full_path()}|{translation.get_language() or ''}"
    return PREFIX + "page." + hashlib.sha256(raw.encode()).hexdigest()


def _storable(request: HttpRequest, response: HttpResponse) -> bool:
    """A page any other visitor may receive as it is."""
    if response.status_code != 200 or getattr(response, "streaming", False):
        return False
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE") or response.cookies or response.has_header("Set-Cookie"):
        return False   # a form token was rendered, or a cookie is being set: this copy is this visitor's own
    if response.has_header("Content-Disposition") or b"csrfmiddlewaretoken" in response.content:
        return False
    session = getattr(request, "session", None)
    if session is not None and session.modified:   # a session cookie will follow: this visitor's own page
        return False
    return not _has_messages(request)


def mark_public(response: HttpResponse, seconds: int) -> HttpResponse:
    """Browsers and proxies may keep a public page for the TTL (NoStoreMiddleware keeps a header it finds)."""
    if seconds > 0 and response.status_code == 200:
        response["Cache-Control"] = f"public, max-age={seconds}"
    return response


def public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Cache the rendered body of an anonymous GET of a public reading page for SUNSHINE_PUBLIC_CACHE_SECONDS."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        seconds = ttl()
        if seconds == 0 or request.method not in ("GET", "HEAD") or not _anonymous(request) \
                or _has_messages(request):
            return view(request, *args, **kwargs)
        key = _page_key(request)
        stored = _cache().get(key)
        if stored is not None:
            content, content_type = stored
            return mark_public(HttpResponse(content, content_type=content_type), seconds)
        response = view(request, *args, **kwargs)
        if _storable(request, response):
            _cache().set(key, (response.content, response.get("Content-Type", "text/html; charset=utf-8")),
                         seconds)
            return mark_public(response, seconds)
        return response

    return wrapper


def cached_value(key: str, build: Callable[[], T]) -> T:
    """A public value (a page's assembled context) kept for the TTL; built fresh when the cache is off."""
    seconds = ttl()
    if seconds == 0:
        return build()
    full = PREFIX + "value." + hashlib.sha256(key.encode()).hexdigest()
    found = _cache().get(full)
    if found is None:
        found = build()
        _cache().set(full, found, seconds)
    return found


def clear() -> None:
    """Forget every cached public page (tests; after an import an operator may want fresh pages at once)."""
    _cache().clear()
