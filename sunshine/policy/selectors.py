"""Reading policy standards. Standards are public policy, visible to every signed-in user."""

from __future__ import annotations

from django.db.models import QuerySet

from sunshine.policy.models import PolicyStandard


class StandardNotFound(LookupError):
    """No standard applies (or the named one does not apply); the message is for the user."""


def region_codes(division_code: str) -> list[str]:
    """The county, city and province codes that contain a division, most specific first."""
    if len(division_code) != 12 or not division_code.isdigit():
        raise StandardNotFound(f"区划代码应为12位数字: {division_code!r}")
    return [division_code[:n].ljust(12, "0") for n in (6, 4, 2)]


def standard_for(year: int, division_code: str, version: str | None = None) -> PolicyStandard:
    """The standard a run for ``year`` over ``division_code`` uses.

    With ``version``: that version, which must cover the year and a region containing the division.
    Without: among the standards covering the year whose region contains the division, the most specific
    region (county override > city override > province); among several for that region, the newest."""
    regions = region_codes(division_code)
    if version is not None:
        standard = PolicyStandard.objects.select_related("region").filter(version=version).first()
        if standard is None:
            raise StandardNotFound(f"政策标准版本不存在: {version}")
        if not standard.covers(year):
            raise StandardNotFound(
                f"政策标准 {version} 适用于{standard.year_from}–{standard.year_to}年度,不含{year}年度"
            )
        if standard.region_id not in regions:
            raise StandardNotFound(f"政策标准 {version} 的适用区域{standard.region.name}不包含区划 {division_code}")
        return standard
    candidates = list(
        PolicyStandard.objects.select_related("region")
        .filter(year_from__lte=year, year_to__gte=year, region_id__in=regions)
        .order_by("-created_at", "-id")
    )
    for region in regions:
        for standard in candidates:
            if standard.region_id == region:
                return standard
    raise StandardNotFound(f"没有适用于{year}年度、区划 {division_code} 的政策标准")


def standards() -> QuerySet[PolicyStandard]:
    return PolicyStandard.objects.select_related("region", "created_by", "base").order_by("-created_at", "-id")
