"""Which county a row belongs to, and the references it names, checked against the database and the acting
user's scope. Numbers (项目编号, 资金编号, 发放编号) are unique only within a county: a row names its county by its
division code, by the registry household it concerns, by --county, or by the acting user's county; an
administrator's row that names none of these is placed in the one county of its scope whose library holds
the numbers it names (several such counties: the row asks for --county)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from sunshine.core.choices import DivisionLevel, Role
from sunshine.core.divisions import level_of_code
from sunshine.core.models import Division, User
from sunshine.core.scope import division_visible
from sunshine.funds.models import Fund, Project
from sunshine.registry.models import Household, MemberYear

ROLES_THAT_IMPORT = frozenset({Role.COUNTY_MANAGER, Role.ADMIN})
IN_CHUNK = 2000   # values per IN (...) list: SQLite limits the parameters of one statement
OUT_OF_SCOPE = "不在您的管辖范围内"


def in_chunks(qs: QuerySet, field: str, values: Iterable[Any]) -> Iterator[Any]:
    """``qs.filter(field__in=values)``, asked in chunks (a county's payments file names 100,000 numbers)."""
    wanted = sorted({v for v in values if v not in (None, "")}, key=str)
    for start in range(0, len(wanted), IN_CHUNK):
        yield from qs.filter(**{f"{field}__in": wanted[start:start + IN_CHUNK]})


def can_import(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role_set & ROLES_THAT_IMPORT)


def county_of(code: str) -> str:
    return code[:6] + "000000"


@dataclass
class Context:
    """The acting user, and the county rows go to when they do not name one (``county``: --county, else the
    acting user's own county; None for a provincial administrator without --county)."""

    actor: User
    county: str | None = None
    _divisions: dict[str, bool] = field(default_factory=dict)

    @classmethod
    def of(cls, actor: User, county: str | None = None) -> Context:
        if not can_import(actor):
            raise PermissionDenied("只有县级管理员和系统管理员可以导入资金项目文件")
        if county:
            if len(county) != 12 or not county.isdigit() or level_of_code(county) != DivisionLevel.COUNTY:
                raise PermissionDenied(f"--county 应为县级12位区划代码: {county}")
            if not Division.objects.filter(code=county).exists() or not division_visible(actor, county):
                raise PermissionDenied(f"县 {county} 不存在或不在您的管辖范围内")
            return cls(actor, county)
        own = actor.division_id
        if own and level_of_code(own) in (DivisionLevel.COUNTY, DivisionLevel.TOWNSHIP, DivisionLevel.VILLAGE):
            return cls(actor, county_of(own))
        return cls(actor, None)

    @property
    def prefix(self) -> str:
        """The county prefix when one county is fixed, else the actor's scope."""
        if self.county:
            return self.county[:6]
        return self.actor.scope_prefix or "\x00"

    def known(self, codes: Iterable[str]) -> None:
        wanted = set(codes) - set(self._divisions)
        found = set(Division.objects.filter(code__in=wanted).values_list("code", flat=True)) if wanted else set()
        for code in wanted:
            self._divisions[code] = code in found

    def division_problem(self, code: str) -> str | None:
        """Why rows may not name this division (None: they may)."""
        # Scope first: a code outside it gets one answer whether it exists or not.
        if not division_visible(self.actor, code):
            return f"区划{OUT_OF_SCOPE}"
        self.known([code])
        if not self._divisions[code]:
            return "区划代码不存在(未在区划表中)"
        if self.county and not code.startswith(self.county[:6]):
            return f"不属于县 {self.county}"
        county = county_of(code)
        self.known([county])
        if not self._divisions[county]:
            return "所属县不存在(未在区划表中)"
        return None


class Library:
    """Projects and funds named by a file, by county: (county, number) → pk."""

    def __init__(self, ctx: Context, *, project_nos: Iterable[str] = (), fund_nos: Iterable[str] = ()) -> None:
        self.ctx = ctx
        self.projects = self._load(Project, "project_no", project_nos)
        self.funds = self._load(Fund, "fund_no", fund_nos)

    def _load(self, model: type[Project] | type[Fund], key: str,
              numbers: Iterable[str]) -> dict[str, dict[str, int]]:
        """number → {county code: pk}, within the context's county or scope."""
        wanted = {n for n in numbers if n}
        out: dict[str, dict[str, int]] = defaultdict(dict)
        if not wanted:
            return out
        qs = model.objects.filter(county__code__startswith=self.ctx.prefix).values_list(key, "county_id", "pk")
        for number, county, pk in in_chunks(qs, key, wanted):
            out[number][county] = pk
        return out

    def locate(self, project_no: str | None = None, fund_no: str | None = None,
               county: str | None = None) -> tuple[str | None, str | None, str]:
        """(county, None, "") when the numbers given are found together in one county (``county`` when the
        row already named one); else (None, field at fault, message)."""
        places: set[str] | None = {county} if county else None
        for number, index, field_name, label in ((fund_no, self.funds, "fund_no", "资金编号"),
                                                 (project_no, self.projects, "project_no", "项目编号")):
            if number is None:
                continue
            counties = set(index.get(number, {}))
            if not counties:
                where = "本县" if county or self.ctx.county else "您管辖的县"
                return None, field_name, f"{label}“{number}”在{where}尚未导入"
            if places is not None and not counties & places:
                return None, field_name, f"{label}“{number}”与本行的其他编号不在同一个县"
            places = counties if places is None else counties & places
        if not places:
            return None, None, ""
        if len(places) > 1:
            field_name = "fund_no" if fund_no else "project_no"
            return None, field_name, "多个县有相同的编号,请用 --county 指定县(或由县级管理员导入)"
        return places.pop(), None, ""

    def project(self, county: str, number: str | None) -> int | None:
        return self.projects.get(number, {}).get(county) if number else None

    def fund(self, county: str, number: str | None) -> int | None:
        return self.funds.get(number, {}).get(county) if number else None


def households(numbers: Iterable[str]) -> dict[str, tuple[int, str]]:
    """household_no → (pk, village code) of the registry households named."""
    wanted = {n for n in numbers if n}
    if not wanted:
        return {}
    qs = Household.objects.values_list("household_no", "pk", "village_id")
    return {no: (pk, village) for no, pk, village in in_chunks(qs, "household_no", wanted)}


def households_of_payees(pairs: Iterable[tuple[str, int]]) -> dict[tuple[str, int], tuple[int, str, str]]:
    """(id_hash, year) → (household pk, household_no, village code): the registry household the payee was a
    member of that year."""
    wanted = {p for p in pairs if p[0]}
    if not wanted:
        return {}
    hashes = {h for h, _ in wanted}
    years = {y for _, y in wanted}
    qs = (MemberYear.objects.filter(year__in=years)
          .values_list("person__id_number_hash", "year", "household_year__household_id",
                       "household_year__household__household_no", "household_year__household__village_id"))
    rows = in_chunks(qs, "person__id_number_hash", hashes)
    return {(h, y): (pk, no, village) for h, y, pk, no, village in rows if (h, y) in wanted}
