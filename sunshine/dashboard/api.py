"""/api/indicators: the pre-aggregated values for other systems.

``GET /api/indicators?division=&year=&code=`` — every figure of one division and year (default: the reader's
own division and the default year), one item per indicator and breakdown key. Read through the dashboard's
selectors, so a division outside the reader's scope is 404 like everywhere else. A missing stored row reads as
0 (zeros are not stored): every declared key of an asked-for indicator is listed, so that a consumer sees the
full breakdown. A share is ``value / denominator``; it is given as ``share`` too, with its target.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema

from sunshine.core.api import READ_ERRORS, LevelSlug
from sunshine.dashboard import selectors
from sunshine.dashboard.cockpit.figures import target_of
from sunshine.dashboard.indicators import CATALOGUE, Indicator, Kind
from sunshine.policy.selectors import StandardNotFound, standard_for

router = Router(tags=["indicators 统计指标"])

SHARE_PLACES = Decimal("0.000001")


class IndicatorQuery(Schema):
    division: str | None = Field(None, max_length=12, description="12位区划代码;默认您的所属区划")
    year: int | None = Field(None, ge=2000, le=2100, description="年度;默认系统默认年度")
    code: str | None = Field(None, max_length=2000,
                             description="指标代码,可用逗号分隔多个(如 households,people);默认全部指标")


class IndicatorOut(Schema):
    code: str = Field(..., description="指标代码")
    name: str = Field(..., description="指标名称")
    unit: str = Field(..., description="单位")
    kind: str = Field(..., description="count=计数 · sum=金额合计(元) · share=比例(value/denominator)")
    year: int
    division_code: str = Field(..., description="12位区划代码")
    division_name: str
    level: LevelSlug
    key: str = Field(..., description="分组代码(如户状态、规则代码);无分组为空字符串")
    key_label: str = Field(..., description="分组名称")
    value: Decimal = Field(..., description="数值:户数、人数、条数或金额;比例指标为分子")
    denominator: Decimal | None = Field(None, description="比例指标的分母;其他指标为 null")
    share: Decimal | None = Field(None, description="比例 = value / denominator(0–1);无分母时为 null")
    target: Decimal | None = Field(None, description="目标值(比例以 0–1 表示),取自当年适用的政策标准;无目标为 null")


class IndicatorPage(Schema):
    year: int
    division_code: str
    division_name: str
    level: LevelSlug
    refreshed_at: dt.datetime | None = Field(None, description="该年度指标最近一次计算完成的时间;未计算过为 null")
    count: int
    items: list[IndicatorOut]


def _codes(text: str | None) -> list[Indicator]:
    if not text or not text.strip():
        return list(CATALOGUE.values())
    codes = [c.strip() for c in text.split(",") if c.strip()]
    unknown = [c for c in codes if c not in CATALOGUE]
    if unknown:
        raise ValidationError({"code": [f"未知的指标代码:{'、'.join(unknown)}"]})
    return [CATALOGUE[c] for c in dict.fromkeys(codes)]


def _keys(indicator: Indicator, stored: set[str]) -> list[str]:
    """The declared keys in display order, then any stored key not declared; "" alone when none."""
    declared = list(indicator.keys or {})
    extra = sorted(stored - set(declared))
    return declared + extra or [""]


def _row(indicator: Indicator, key: str, figure: selectors.Figure, target: Decimal | None) -> dict[str, Any]:
    share = figure.share
    labels = indicator.keys or {}
    return {
        "code": indicator.code, "name": str(indicator.name), "unit": str(indicator.unit),
        "kind": indicator.kind.value, "key": key, "key_label": str(labels.get(key, key)),
        "value": figure.value, "denominator": figure.denominator,
        "share": None if share is None else share.quantize(SHARE_PLACES),
        # A share's target holds for every key (each §1 criterion at 100%); a count's only for its total.
        "target": target if indicator.kind == Kind.SHARE or not indicator.keys else None,
    }


@router.get("", response={200: IndicatorPage, **READ_ERRORS}, summary="统计指标:一个区划一个年度的预汇总指标值")
def list_indicators(request: HttpRequest, filters: Query[IndicatorQuery]) -> dict[str, Any]:
    reader = request.auth
    code = (filters.division or "").strip() or reader.division_id
    if not code:
        raise Http404("您的账号未设置所属区划")
    division = selectors.division(reader, code)
    year = filters.year or settings.SUNSHINE_DEFAULT_YEAR
    indicators = _codes(filters.code)
    stored = selectors.values(reader=reader, division_code=division.code, year=year,
                              codes=[i.code for i in indicators])
    try:
        parameters = standard_for(year, division.code).params
    except StandardNotFound:
        parameters = None
    items = []
    for indicator in indicators:
        keys = _keys(indicator, {k for (c, k) in stored if c == indicator.code})
        target = target_of(indicator, parameters)
        items += [_row(indicator, key, stored.get((indicator.code, key), selectors.ZERO), target) for key in keys]
    last = selectors.last_refresh(year)
    for item in items:
        item.update(year=year, division_code=division.code, division_name=division.name, level=division.level)
    return {
        "year": year, "division_code": division.code, "division_name": division.name, "level": division.level,
        "refreshed_at": last.finished_at if last else None, "count": len(items), "items": items,
    }
