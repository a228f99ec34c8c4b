"""Division scope: the one place that decides what a reader may see. Selectors of every app use it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import Count, Model, Q, QuerySet
from django.http import Http404

from sunshine.core.ids import mask_id_number, mask_phone
from sunshine.core.sql import select_over

if TYPE_CHECKING:
    from sunshine.core.models import Division, User

M = TypeVar("M", bound=Model)


def scope_q(reader: User, division_field: str) -> Q:
    """A filter keeping rows whose division (by code) lies inside the reader's division."""
    prefix = reader.scope_prefix if reader.is_authenticated and reader.is_active else None
    if prefix is None:
        return Q(pk__in=[])
    within = Q(**{f"{division_field}__startswith": prefix})
    upper = prefix_upper_bound(prefix)
    if upper is None:
        return within
    # The same rows as a range as well: SQLite cannot search an index for LIKE 'prefix%' (its LIKE ignores case,
    # the indexes are case-sensitive), so a village clerk's list scanned every row of the province; with the range
    # it searches the division index on both databases. The LIKE stays: it is what decides what is visible.
    return within & Q(**{f"{division_field}__gte": prefix, f"{division_field}__lt": upper})


def prefix_upper_bound(prefix: str) -> str | None:
    """The least string above every code starting with the digits ``prefix`` ("320205" → "320206", "3209" →
    "3210"); None for an empty or non-digit prefix, or all nines."""
    if not prefix.isdigit() or set(prefix) == {"9"}:
        return None
    return str(int(prefix) + 1).zfill(len(prefix))


def in_scope(queryset: QuerySet[M], reader: User, division_field: str) -> QuerySet[M]:
    return queryset.filter(scope_q(reader, division_field))


def division_visible(reader: User, code: str) -> bool:
    prefix = reader.scope_prefix if reader.is_authenticated and reader.is_active else None
    return prefix is not None and code.startswith(prefix)


def get_visible_division(reader: User, code: str) -> Division:
    """The division with that code if the reader may see it; 404 otherwise (no hint that it exists)."""
    from sunshine.core.models import Division

    if not division_visible(reader, code):
        raise Http404("区划不存在或不在您的管辖范围内")
    try:
        return Division.objects.select_related("parent").get(code=code)
    except Division.DoesNotExist as exc:
        raise Http404("区划不存在或不在您的管辖范围内") from exc


def run_division(actor: User, division_code: str | None) -> Division:
    """The division a job (a run, a check, a sample) asked for by ``actor`` works on: the one named, else the
    actor's own. PermissionDenied when the actor has none or may not see it; ValidationError when it does not
    exist (Chinese messages, for the CLI and the pages)."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from sunshine.core.models import Division

    code = (division_code or actor.division_id or "").strip()
    if not code:
        raise PermissionDenied("您的账号未设置所属区划")
    if not division_visible(actor, code):
        raise PermissionDenied("该区划不在您的管辖范围内")
    division = Division.objects.filter(code=code).first()
    if division is None:
        raise ValidationError({"division_code": [f"区划不存在: {code}"]})
    return division


def visible_divisions(reader: User) -> QuerySet[Division]:
    from sunshine.core.models import Division

    return in_scope(Division.objects.all(), reader, "code")


def show_id_number(reader: User, number: str | None) -> str:
    """The ID number as this reader may see it."""
    if not number:
        return ""
    return number if reader.can_see_full_personal_data else mask_id_number(number)


def show_phone(reader: User, phone: str | None) -> str:
    if not phone:
        return ""
    return phone if reader.can_see_full_personal_data else mask_phone(phone)


def show_text(reader: User, text: str | None) -> str:
    """Free text as this reader may see it: ID numbers and phone numbers masked for masked roles."""
    from sunshine.core.ids import mask_free_text

    if not text:
        return ""
    if getattr(reader, "is_authenticated", False) and reader.can_see_full_personal_data:
        return text
    return mask_free_text(text)


def counts_by_prefix(qs: QuerySet[Any], length: int) -> dict[str, int]:
    """Rows of ``qs`` counted by the first ``length`` characters of their division: counted per division first,
    which PostgreSQL reads from the division index alone, then summed per prefix — a province's 158,000 findings
    in 22 ms, against 170 ms for a substring computed on every row of the table."""
    rows = select_over(qs.order_by().values_list("division_id").annotate(n=Count("*")),
                       "SELECT SUBSTR(d.division_id, 1, %s), SUM(d.n) FROM ({inner}) d GROUP BY 1", (length,))
    return {child: int(n) for child, n in rows}
