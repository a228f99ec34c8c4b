"""The JSON API's authentication, error handling and shared schemas, and the divisions router.

Authentication (``api_auth``), tried in this order:
1. ``Authorization: Bearer <token>`` — an :class:`~sunshine.core.models.ApiToken` (only its hash is stored;
   it expires and can be revoked: ``sunshine token``, /account/tokens/);
2. the Django session cookie — for unsafe methods (POST, PATCH, …) the CSRF token must be sent too
   (header ``X-CSRFToken``), as for any form of the site.
The bearer token goes first so that a script with a token never meets the session's CSRF check.
Anything else is answered 401. A user without a division is authenticated but sees nothing.

Errors carry Chinese messages: ``{"detail": "..."}`` for 401/403/404 and
``{"detail": [{"field": ..., "message": ...}, ...]}`` for 422 (business rules from the services and
malformed input alike). Messages pass through :func:`sunshine.core.ids.mask_text`, so no full ID number
ever appears in an error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth
from ninja.utils import check_csrf

from sunshine.core.busy import busy_response, is_busy_error
from sunshine.core.choices import DivisionLevel
from sunshine.core.ids import mask_text
from sunshine.core.input_guard import overflow_message
from sunshine.core.models import ApiToken
from sunshine.core.scope import get_visible_division, visible_divisions

if TYPE_CHECKING:
    from ninja import NinjaAPI

MAX_PAGE_SIZE = 500
MAX_PAGE = 1_000_000  # beyond it the row offset no longer fits the database's integers (page=2**63-1 was a 500)


# --- authentication ---------------------------------------------------------------------------------


class TokenAuth(HttpBearer):
    """``Authorization: Bearer sun_…`` — a token issued with ``ApiToken.issue``. An unknown token is "not
    logged in" (401, and the session is tried next); a known one that may not be used is refused at once with
    the reason: revoked, expired, its account disabled or waiting for its one-time password to be changed —
    all 401, the status every operation declares for "these credentials do not let you in"."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        token = token.strip()
        if not token:
            return None
        found = ApiToken.lookup(token)
        if found is None:
            return None
        if found.revoked:
            raise HttpError(401, "接口令牌已吊销,请使用新的令牌")
        if found.is_expired():
            raise HttpError(401, "接口令牌已过期,请重新签发")
        user = found.user
        if not user.is_active:
            raise HttpError(401, "令牌所属账号已停用")
        if user.must_change_password:
            from sunshine.core.users.middleware import MESSAGE

            raise HttpError(401, MESSAGE)
        found.touch()
        request.user = user  # what the services, scope and audit helpers read
        return user


class SessionAuth(NinjaSessionAuth):
    """The site's login session. CSRF is checked for unsafe methods, but only once a session user is
    found: an anonymous request is told 401 (not logged in) rather than 403 (CSRF)."""

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(403, "CSRF 校验失败:使用登录会话调用接口时,请在请求头 X-CSRFToken 中携带 csrftoken")
        return user


api_auth = [TokenAuth(), SessionAuth(csrf=True)]


# --- errors -----------------------------------------------------------------------------------------


class ErrorOut(Schema):
    detail: str = Field(..., description="说明(中文)")


class FieldErrorOut(Schema):
    field: str | None = Field(..., description="出错的字段(英文字段名);整条记录的错误为 null")
    message: str = Field(..., description="说明(中文)")
    loc: list[str | int] | None = Field(
        None, description='请求中的位置,仅格式错误时给出,如 ["body", "head", "name"]'
    )


class ValidationErrorOut(Schema):
    detail: list[FieldErrorOut]


# 400: a request the database cannot take (a NUL character, a number out of its range): see core.input_guard.
ERROR_RESPONSES: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}
READ_ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}

# Pydantic's English messages for the usual format errors, in Chinese.
_FORMAT_MESSAGES = {
    "missing": "必填字段",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "decimal_max_places": "金额最多两位小数",
    "decimal_max_digits": "金额位数过多",
    "decimal_whole_digits": "金额位数过多",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_type": "日期格式应为 YYYY-MM-DD",
    "string_type": "应为文本",
    "string_too_short": "不能为空",
    "string_too_long": "文本过长",
    "string_pattern_mismatch": "格式不正确",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "extra_forbidden": "不是可接受的字段",
    "model_attributes_type": "格式不正确",
    "dict_type": "应为 JSON 对象",
    "json_invalid": "请求体不是有效的 JSON",
}


# Ninja's own English messages for whole-request errors.
_HTTP_MESSAGES = {
    "Cannot parse request body": "无法解析请求体:应为 JSON(Content-Type: application/json)",
    "Too many requests.": "请求过于频繁,请稍后再试",
}


def _format_message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    text = _FORMAT_MESSAGES.get(kind, "")
    ctx = error.get("ctx") or {}
    if kind == "literal_error" and "expected" in ctx:
        text += ",可选值:" + str(ctx["expected"]).replace(" or ", ", ")
    elif kind in {"greater_than_equal", "less_than_equal"}:
        bound = ctx.get("ge", ctx.get("le"))
        text += f"(界限 {bound})"
    elif kind == "string_too_long" and "max_length" in ctx:
        text += f"(最多 {ctx['max_length']} 个字符)"
    return mask_text(text or str(error.get("msg", "格式不正确")))


def _field_of(loc: list[Any]) -> str | None:
    names = [p for p in loc[1:] if isinstance(p, str)] if len(loc) > 1 else []
    return names[-1] if names else None


def _json(api: NinjaAPI, request: HttpRequest, data: Any, status: int) -> HttpResponse:
    return api.create_response(request, data, status=status)


def install_error_handlers(api: NinjaAPI) -> None:
    """Chinese, ID-masked error bodies; called once by sunshine.config.api."""

    def on_django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        if hasattr(exc, "error_dict"):
            items = [
                {"field": None if name == "__all__" else name, "message": mask_text(str(message))}
                for name, messages in exc.message_dict.items()
                for message in messages
            ]
        else:
            items = [{"field": None, "message": mask_text(str(m))} for m in exc.messages]
        return _json(api, request, {"detail": items}, 422)

    def on_format_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        items = []
        for error in exc.errors:
            loc = list(error.get("loc") or [])
            items.append({"field": _field_of(loc), "message": _format_message(error), "loc": loc})
        return _json(api, request, {"detail": items}, 422)

    def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        message = mask_text(str(exc)) or "您没有权限执行此操作"
        return _json(api, request, {"detail": message}, 403)

    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        message = mask_text(str(exc)) or "记录不存在或不在您的管辖范围内"
        return _json(api, request, {"detail": message}, 404)

    def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return _json(api, request, {"detail": "未登录或接口令牌无效"}, 401)

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        message = _HTTP_MESSAGES.get(str(exc), mask_text(str(exc)))
        return _json(api, request, {"detail": message}, exc.status_code)

    def on_out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
        # SQLite: OverflowError binding an integer beyond 64 bits; PostgreSQL: DataError (out of range).
        return _json(api, request, {"detail": overflow_message()}, 400)

    def on_operational_error(request: HttpRequest, exc: OperationalError) -> HttpResponse:
        if not is_busy_error(exc):  # anything but a busy database stays a server error
            raise exc
        return busy_response(request)

    api.add_exception_handler(OperationalError, on_operational_error)
    api.add_exception_handler(OverflowError, on_out_of_range)
    api.add_exception_handler(DataError, on_out_of_range)
    api.add_exception_handler(DjangoValidationError, on_django_validation)
    api.add_exception_handler(NinjaValidationError, on_format_error)
    api.add_exception_handler(PermissionDenied, on_permission_denied)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(AuthenticationError, on_unauthenticated)
    api.add_exception_handler(HttpError, on_http_error)


# --- paging (shared by every list endpoint) ------------------------------------------------------


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE, description=f"页码,从 1 开始,最大 {MAX_PAGE}")
    page_size: int = Field(
        settings.SUNSHINE_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description=f"每页条数,最多 {MAX_PAGE_SIZE}"
    )


def paginate(queryset: Any, page: int, page_size: int) -> tuple[int, list[Any]]:
    """The total count and the rows of one page (an empty page past the end)."""
    count = queryset.count()
    start = (page - 1) * page_size
    return count, list(queryset[start : start + page_size])


# --- divisions ----------------------------------------------------------------------------------------

LevelSlug = Literal[tuple(DivisionLevel.values)]  # type: ignore[valid-type]
LEVEL_DESCRIPTION = "层级:" + " · ".join(f"{v}={label}" for v, label in DivisionLevel.choices)


class DivisionOut(Schema):
    code: str = Field(..., description="12位统计用区划代码")
    name: str
    level: LevelSlug = Field(..., description=LEVEL_DESCRIPTION)
    parent_code: str | None
    is_northern: bool = Field(..., description="苏北地区")
    is_key_county: bool = Field(..., description="重点帮扶县(区)")


class DivisionPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[DivisionOut]


class DivisionQuery(PageQuery):
    parent: str | None = Field(None, description="上级区划代码:只列其直接下级")
    level: LevelSlug | None = Field(None, description=LEVEL_DESCRIPTION)
    q: str | None = Field(None, description="名称包含的文字")


class StatusCounts(Schema):
    in_poverty: int = Field(0, description="未脱贫")
    exited: int = Field(0, description="已脱贫")
    returned: int = Field(0, description="返贫")
    closed: int = Field(0, description="已销户")
    total: int = 0


class ChildDivisionOut(Schema):
    code: str
    name: str
    level: LevelSlug
    counts: StatusCounts


class DivisionDetailOut(DivisionOut):
    year: int
    counts: StatusCounts = Field(..., description="辖区内该年度农户数,按状态")
    children: list[ChildDivisionOut] = Field(..., description="您可见的直接下级及其农户数")


def _division_out(division: Any) -> dict[str, Any]:
    return {
        "code": division.code, "name": division.name, "level": division.level,
        "parent_code": division.parent_id, "is_northern": division.is_northern,
        "is_key_county": division.is_key_county,
    }


def _counts(counts: dict[str, int]) -> dict[str, int]:
    return {**counts, "total": sum(counts.values())}


router = Router(tags=["divisions 行政区划"])


@router.get("", response={200: DivisionPage, **READ_ERRORS}, summary="区划列表(您的管辖范围内)")
def list_divisions(request: HttpRequest, filters: Query[DivisionQuery]) -> dict[str, Any]:
    qs = visible_divisions(request.auth)
    if filters.parent:
        qs = qs.filter(parent_id=filters.parent)
    if filters.level:
        qs = qs.filter(level=filters.level)
    if filters.q:
        qs = qs.filter(name__contains=filters.q.strip())
    count, rows = paginate(qs.order_by("code"), filters.page, filters.page_size)
    return {
        "count": count, "page": filters.page, "page_size": filters.page_size,
        "items": [_division_out(d) for d in rows],
    }


@router.get("/{code}", response={200: DivisionDetailOut, **READ_ERRORS}, summary="区划详情与各状态农户数")
def get_division(request: HttpRequest, code: str, year: int | None = None) -> dict[str, Any]:
    from sunshine.registry.selectors import division_breakdown

    division = get_visible_division(request.auth, code)
    year = year or settings.SUNSHINE_DEFAULT_YEAR
    children, totals = division_breakdown(reader=request.auth, division=division, year=year)
    return {
        **_division_out(division),
        "year": year,
        "counts": _counts(totals),
        "children": [
            {"code": ch.division.code, "name": ch.division.name, "level": ch.division.level,
             "counts": _counts(ch.counts)}
            for ch in children
        ],
    }
