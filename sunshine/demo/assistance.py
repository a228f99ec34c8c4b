"""The demo county's assistance responsibility (services.md §5): cadres, their pairings with the registered
households, visits, the work teams of the weak villages, and one cadre account ("cadre") for the phone pages.

About eight households a cadre: a county cadre per three villages' worth of households and a village cadre per
village. Planted, so that each R-* rule finds something at 31 December: one cadre with 12 households
(R-OVERLOAD), a few households without a cadre, one because its pairing ended in June (R-NOCADRE), households
last visited in the summer (R-NOVISIT) and one weak village without a work team (R-NOTEAM). Everything is
seeded: the same seed gives the same cadres and dates. ``clear_demo_assistance`` removes an earlier demo's."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from sunshine.assistance.coverage import registered_q
from sunshine.assistance.models import Cadre, Pairing, Visit, WorkTeam
from sunshine.core.choices import Role
from sunshine.core.ids import make_id_number
from sunshine.core.models import Division, User
from sunshine.demo.names import MALE_GIVEN, SURNAMES
from sunshine.demo.users import demo_password
from sunshine.registry.models import HouseholdYear, VillageYear

UNITS = ("县财政局", "县农业农村局", "县人社局", "县教育局", "县卫健委", "县住建局", "县水务局", "县民政局",
         "县交通运输局", "县自然资源局", "省农业农村厅", "市扶贫办")
PER_CADRE = 8
OVERLOADED = 12
NOTES = ("家中收入稳定,子女上学正常", "户主慢性病,已签约家庭医生", "养殖规模扩大,需技术指导",
         "房屋安全,饮水正常", "外出务工两人,收入有增加", "老人独居,联系村里定期看望")
MEASURES = ("落实产业奖补", "推荐公益性岗位", "申请教育资助", "协调小额信贷", "", "")
CADRE_USERNAME = "cadre"


@dataclass
class AssistanceSummary:
    cadres: int = 0
    pairings: int = 0
    visits: int = 0
    teams: int = 0
    password: str = ""

    def __str__(self) -> str:
        return (f"帮扶干部 {self.cadres} 名,结对 {self.pairings} 户,走访 {self.visits} 次,"
                f"驻村工作队员 {self.teams} 名")


def clear_demo_assistance(county6: str) -> None:
    """Delete the county's cadres (pairings, visits, teams cascade) and the teams and pairings in it."""
    with transaction.atomic():
        Visit.objects.filter(Q(household__village__code__startswith=county6)
                             | Q(cadre__division__code__startswith=county6)).delete()
        Pairing.objects.filter(household__village__code__startswith=county6).delete()
        WorkTeam.objects.filter(village__code__startswith=county6).delete()
        Cadre.objects.filter(division__code__startswith=county6).delete()


def load_demo_assistance(*, year: int, county6: str, seed: int = 1) -> AssistanceSummary:
    clear_demo_assistance(county6)
    rng = random.Random(f"sunshine-demo-assistance:{seed}:{county6}:{year}")  # noqa: S311 - synthetic data
    summary = AssistanceSummary()
    county = f"{county6}000000"
    households = list(HouseholdYear.objects.filter(registered_q(year), year=year,
                                                   household__village__code__startswith=county6)
                      .order_by("household__village_id", "household__household_no")
                      .values_list("household_id", "household__village_id"))
    if not households:
        return summary
    numbers = iter(range(1, 1_000_000))

    def cadre(division: str, level: str, kind: str, unit: str) -> Cadre:
        n = next(numbers)
        birth = dt.date(1965 + rng.randrange(30), 1 + rng.randrange(12), 1 + rng.randrange(28))
        return Cadre(cadre_no=f"GB{county6}{n:05d}", name=rng.choice(SURNAMES[:100]) + rng.choice(MALE_GIVEN),
                     id_number=make_id_number(county6, birth, rng.randrange(1, 999)),
                     phone=f"139{rng.randrange(10**8):08d}", unit=unit, level=level, kind=kind, division_id=division)

    start = dt.date(year - 2, 3, 1)
    # Households chunked by village; each chunk of PER_CADRE gets a cadre, the first chunk of a village a
    # village cadre, the others county cadres from the units in turn.
    cadres: list[Cadre] = []
    plan: list[tuple[int, int]] = []          # (cadre index, household id)
    by_village: dict[str, list[int]] = {}
    for household, village in households:
        by_village.setdefault(village, []).append(household)
    unpaired = {ids[-1] for ids in list(by_village.values())[::7]}   # a household in every 7th village
    for village, ids in by_village.items():
        ids = [h for h in ids if h not in unpaired]
        for i in range(0, len(ids), PER_CADRE):
            if i == 0:
                cadres.append(cadre(village, "village", "responsible", "村两委"))
            else:
                cadres.append(cadre(county, "county", "responsible", UNITS[len(cadres) % len(UNITS)]))
            plan += [(len(cadres) - 1, h) for h in ids[i:i + PER_CADRE]]
    # R-OVERLOAD: the first county cadre (or the first cadre) takes households from the last cadres until it
    # has OVERLOADED of them.
    heavy = next((i for i, c in enumerate(cadres) if c.level == "county"), 0)
    wanted = OVERLOADED - sum(1 for c, _ in plan if c == heavy)
    moved = set([h for c, h in reversed(plan) if c != heavy][:max(wanted, 0)])
    plan = [(heavy if h in moved else c, h) for c, h in plan]
    with transaction.atomic():
        for c in cadres:
            c.save()   # one by one: small, and save() seals the ID number with its keyed hash
        pairings = [Pairing(cadre=cadres[c], household_id=h, start_date=start) for c, h in plan]
        if pairings:   # R-NOCADRE: the last pairing ended in June
            pairings[-1].end_date = dt.date(year, 6, 30)
        Pairing.objects.bulk_create(pairings)
        visits = []
        for i, p in enumerate(pairings):
            late = i % 11 == 5   # R-NOVISIT: last visited in the summer
            for months_back in (0, 3, 6):
                day = dt.date(year, 12, 20) - dt.timedelta(days=30 * months_back + rng.randrange(20))
                if late:
                    day -= dt.timedelta(days=120)
                visits.append(Visit(cadre=p.cadre, household_id=p.household_id, date=day,
                                    notes=rng.choice(NOTES), measures=rng.choice(MEASURES)))
        Visit.objects.bulk_create(visits)
        teams = _teams(rng, county6, year, start, cadre)
    summary.cadres = Cadre.objects.filter(division__code__startswith=county6).count()
    summary.pairings, summary.visits, summary.teams = len(pairings), len(visits), len(teams)
    summary.password = _account(cadres[0], rng)
    return summary


def _teams(rng: random.Random, county6: str, year: int, start: dt.date,
           cadre: Callable[[str, str, str, str], Cadre]) -> list[WorkTeam]:
    """A first secretary and two members for every weak village but the first (R-NOTEAM)."""
    weak = list(VillageYear.objects.filter(village__code__startswith=county6, year=year, weak_village=True)
                .order_by("village_id").values_list("village_id", flat=True))
    county = f"{county6}000000"
    teams = []
    for village in weak[1:]:
        secretary = cadre(county, "province", "first_secretary", "省农业农村厅")
        members = [cadre(county, "county", "team_member", rng.choice(UNITS)) for _ in range(2)]
        for c in (secretary, *members):
            c.save()
        teams.append(WorkTeam(village_id=village, cadre=secretary, role="first_secretary", start_date=start))
        teams += [WorkTeam(village_id=village, cadre=m, role="member", start_date=start) for m in members]
    WorkTeam.objects.bulk_create(teams)
    return teams


def _account(cadre: Cadre, rng: random.Random) -> str:
    """The demo account of one village cadre (role 帮扶干部, bound to the cadre's division); its password."""
    password = demo_password(rng)
    user = User.objects.filter(username=CADRE_USERNAME).first() or User(username=CADRE_USERNAME)
    user.division = Division.objects.get(code=cadre.division_id)
    user.roles = [Role.CADRE.value]
    user.full_name = cadre.name
    user.is_active, user.is_staff, user.is_superuser = True, False, False
    user.set_password(password)
    user.save()
    Cadre.objects.filter(user=user).exclude(pk=cadre.pk).update(user=None)
    cadre.user = user
    cadre.save(update_fields=["user"])
    return password
