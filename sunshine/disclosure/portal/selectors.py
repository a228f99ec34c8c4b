"""What the public portal shows: plain dicts of public facts only, built from the public selectors of the
workflow (registry notices in their notice period) and of funds (project announcements, dividend lists).
Nothing here reads an ID number, a phone, a birth date, health or income: names come masked (张*三)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q
from django.http import Http404
from django.utils.translation import gettext as _

from sunshine.core.choices import DivisionLevel
from sunshine.core.models import Division
from sunshine.funds import announcements
from sunshine.funds.models import Announcement
from sunshine.funds.models_credit import AssetIncome
from sunshine.workflow.public import in_notice, public_text
from sunshine.workflow.views_common import mask_name, subject_name

# Levels with a portal page; the province is the landing page itself.
PAGE_LEVELS = (DivisionLevel.COUNTY, DivisionLevel.TOWNSHIP, DivisionLevel.VILLAGE)
LANDING_NOTICES = 12
LANDING_ANNOUNCEMENTS = 10


def division(code: str) -> Division:
    """A county, township or village; anything else (unknown, province, city, below a village) is 404."""
    found = Division.objects.filter(code=code, level__in=PAGE_LEVELS).first() if len(code) == 12 else None
    if found is None:
        raise Http404(_("区划不存在"))
    return found


def breadcrumbs(place: Division) -> list[dict[str, str]]:
    """省 › 县 › 乡镇 › 村: the province links to the landing page, counties and below to their portal pages."""
    chain = [d for d in place.ancestors() if d.level in (DivisionLevel.PROVINCE, *PAGE_LEVELS)]
    return [{"code": d.code, "name": d.name, "level": d.level} for d in chain]


def _announcement_row(a: Announcement, on: dt.date) -> dict[str, Any]:
    project = a.project
    return {"id": a.pk, "title": public_text(a.title), "kind_label": a.get_kind_display(),
            "category": project.get_category_display(), "budget": project.budget, "place": project.division.name,
            "level": project.division.level, "start_date": a.start_date, "end_date": a.end_date,
            "state": announcements.state(a, on), "days_left": max(0, (a.end_date - on).days + 1)}


def _notice_row(case: Any, on: dt.date) -> dict[str, Any]:
    return {"id": case.pk, "name": mask_name(subject_name(case)), "type_label": case.get_case_type_display(),
            "village_code": case.division_id, "village": case.division.name, "notice_start": case.notice_start,
            "notice_end": case.notice_end, "days_left": (case.notice_end - on).days + 1 if case.notice_end else 0,
            "on_hold": case.status == "on_hold"}


def landing(on: dt.date) -> dict[str, Any]:
    """The province's counties (grouped by city, key counties marked) and what is announced now anywhere."""
    province = Division.objects.filter(level=DivisionLevel.PROVINCE).order_by("code").first()
    counties = list(Division.objects.filter(level=DivisionLevel.COUNTY).select_related("parent").order_by("code"))
    groups: dict[str, dict[str, Any]] = {}
    for county in counties:
        city = county.parent if county.parent is not None and county.parent.level == DivisionLevel.CITY else None
        key = city.code if city else ""
        group = groups.setdefault(key, {"name": city.name if city else "", "counties": []})
        group["counties"].append({"code": county.code, "name": county.name, "key": county.is_key_county})
    villages = list(in_notice().values("division_id").annotate(n=Count("pk")).order_by("division_id"))
    names = Division.objects.select_related("parent__parent").in_bulk([v["division_id"] for v in villages[
        :LANDING_NOTICES]])
    notice_villages = [{"code": v["division_id"], "n": v["n"], "name": names[v["division_id"]].name,
                        "township": names[v["division_id"]].parent.name if names[v["division_id"]].parent else "",
                        "county": names[v["division_id"]].parent.parent.name
                        if names[v["division_id"]].parent and names[v["division_id"]].parent.parent else ""}
                       for v in villages[:LANDING_NOTICES] if v["division_id"] in names]
    running = announcements.public_announcements(on).filter(end_date__gte=on)
    latest = list(running.order_by("-start_date", "-id")[:LANDING_ANNOUNCEMENTS])
    return {"province": province.name if province else "", "cities": list(groups.values()),
            "key_count": sum(1 for c in counties if c.is_key_county),
            "notice_villages": notice_villages, "notice_village_count": len(villages),
            "notice_count": sum(v["n"] for v in villages),
            "announcements": [_announcement_row(a, on) for a in latest], "announcement_count": running.count()}


def county_page(county: Division, on: dt.date) -> dict[str, Any]:
    """Its townships (with how many villages announce something now) and its county-level announcements,
    which stay public permanently."""
    townships = list(county.children.filter(level=DivisionLevel.TOWNSHIP).order_by("code"))
    busy = dict(in_notice().filter(division__code__startswith=county.prefix).values("division__parent_id")
                .annotate(n=Count("division_id", distinct=True)).values_list("division__parent_id", "n"))
    rows = list(announcements.public_announcements(on).filter(project__division=county)
                .order_by("-start_date", "-id"))
    all_count = announcements.public_announcements(on).filter(
        project__division__code__startswith=county.prefix).count()
    return {"children": [{"code": t.code, "name": t.name, "busy": busy.get(t.code, 0)} for t in townships],
            "current": [_announcement_row(a, on) for a in rows if a.end_date >= on],
            "past": [_announcement_row(a, on) for a in rows if a.end_date < on], "all_announcements": all_count}


def township_page(township: Division, on: dt.date) -> dict[str, Any]:
    villages = list(township.children.filter(level=DivisionLevel.VILLAGE).order_by("code"))
    busy = dict(in_notice().filter(division__parent=township).values("division_id").annotate(n=Count("pk"))
                .values_list("division_id", "n"))
    rows = list(announcements.public_announcements(on).filter(project__division=township)
                .order_by("-start_date", "-id"))
    return {"children": [{"code": v.code, "name": v.name, "busy": busy.get(v.code, 0)} for v in villages],
            "current": [_announcement_row(a, on) for a in rows if a.end_date >= on],
            "past": [_announcement_row(a, on) for a in rows if a.end_date < on], "all_announcements": 0}


def village_announcements(village: Division, on: dt.date) -> list[Announcement]:
    """The village's own project announcements, and those of its township's and county's projects that concern
    it: a beneficiary household lives there, or an asset the project formed pays the village dividends."""
    above = [code for code in (village.parent_id, village.code[:6] + "000000") if code]
    concern = Q(project__beneficiaries__household__village=village) | Q(project__assets__villages=village) \
        | Q(project__assets__division=village)
    ids = set(announcements.public_announcements(on).filter(Q(project__division=village)
                                                             | (Q(project__division_id__in=above) & concern))
              .values_list("pk", flat=True))
    return list(announcements.public_announcements(on).filter(pk__in=ids).order_by("-start_date", "-id"))


def dividend_years(village: Division, on: dt.date) -> list[int]:
    """Years with income of an asset that pays this village (its own or shared with it), newest first."""
    years = (AssetIncome.objects.filter(Q(asset__division=village) | Q(asset__villages=village), year__lte=on.year)
             .values_list("year", flat=True).distinct())
    return sorted(set(years), reverse=True)


def village_page(village: Division, on: dt.date) -> dict[str, Any]:
    """What is announced in the village now (registry notices in their period, running project announcements,
    the latest dividend list) and what was (ended announcements, earlier dividend lists). Registry notices are
    not kept after their period: that is the rule of the notice (公示期满即撤下)."""
    cases = list(in_notice().filter(division=village).select_related("division", "household", "monitored")
                 .prefetch_related("household__years").order_by("notice_start", "pk"))
    rows = village_announcements(village, on)
    years = dividend_years(village, on)
    return {"notices": [_notice_row(c, on) for c in cases],
            "current": [_announcement_row(a, on) for a in rows if a.end_date >= on],
            "past": [_announcement_row(a, on) for a in rows if a.end_date < on],
            "dividends_now": years[:1], "dividends_past": years[1:]}
