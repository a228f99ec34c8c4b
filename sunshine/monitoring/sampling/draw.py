"""Drawing samples: an ad-hoc or fixed-panel draw over the registered households of a year within a division,
and the continuation of a fixed panel (固定抽样) into a later year.

The population is read with one query (household id, village code, status) and every unit is written with
one bulk insert, in one transaction: a draw is stored whole or not at all."""

from __future__ import annotations

import logging
import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from sunshine.core.choices import Role
from sunshine.core.models import Division, User
from sunshine.core.scope import division_visible, run_division
from sunshine.monitoring.choices import SampleKind
from sunshine.monitoring.models import SampleDraw, SampleUnit
from sunshine.monitoring.sampling.allocation import MAX_SEED, allocate, choose, sample_size, stratum_rng
from sunshine.registry.choices import HouseholdStatus
from sunshine.registry.models import HouseholdYear

logger = logging.getLogger(__name__)

ROLES_THAT_DRAW = frozenset({Role.COUNTY_MANAGER, Role.PROVINCIAL_ANALYST, Role.SUPERVISOR, Role.ADMIN})
STRATUM_STATUSES = (HouseholdStatus.IN_POVERTY, HouseholdStatus.EXITED, HouseholdStatus.RETURNED)
SEED_DIGITS = 9  # a random seed short enough to read out and type again


def stratum_key(village_code: str, status: str) -> str:
    """"<county code>:<status>", the county being the first 6 digits of the village code."""
    return f"{village_code[:6]}:{status}"


def stratum_parts(stratum: str) -> tuple[str, str]:
    county, _, status = stratum.partition(":")
    return county, status


def random_seed() -> int:
    return secrets.randbelow(10**SEED_DIGITS)


@dataclass
class Population:
    """Registered households of a year within a division, by stratum (ids sorted)."""

    strata: dict[str, list[int]]

    @property
    def stratum_of(self) -> dict[int, str]:
        return {hid: k for k, ids in self.strata.items() for hid in ids}

    @property
    def size(self) -> int:
        return sum(len(ids) for ids in self.strata.values())


def population(*, year: int, division: Division) -> Population:
    rows = (HouseholdYear.objects
            .filter(year=year, household__village__code__startswith=division.prefix, status__in=STRATUM_STATUSES)
            .values_list("household_id", "household__village_id", "status"))
    strata: dict[str, list[int]] = defaultdict(list)
    for household_id, village, status in rows.iterator(chunk_size=5000):
        strata[stratum_key(village, status)].append(household_id)
    return Population({k: sorted(v) for k, v in sorted(strata.items())})


def can_draw(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role_set & ROLES_THAT_DRAW)


def _check_actor(actor: User | None) -> User:
    if actor is None or not (actor.is_authenticated and actor.is_active):
        raise PermissionDenied("请先登录")
    if not can_draw(actor):
        raise PermissionDenied("您的角色不能抽样;抽样由县级管理、监督、省级分析或系统管理员发起")
    return actor


def _seed(seed: int | None) -> int:
    if seed is None:
        return random_seed()
    if not 0 <= int(seed) <= MAX_SEED:
        raise ValidationError({"seed": [f"随机种子应为 0 到 {MAX_SEED} 之间的整数"]})
    return int(seed)


def _store(draw: SampleDraw, chosen: dict[str, list[int]], strata: dict[str, dict[str, int]]) -> SampleDraw:
    """Write the draw and its units; weight = N_h / n_h over the strata as they are this year."""
    draw.strata = strata
    draw.size = sum(len(ids) for ids in chosen.values())
    draw.save()
    SampleUnit.objects.bulk_create(
        [SampleUnit(draw=draw, household_id=hid, stratum=k, weight=strata[k]["population"] / len(ids))
         for k, ids in sorted(chosen.items()) if ids for hid in ids],
        batch_size=2000,
    )
    return draw


def draw_sample(*, actor: User, kind: str = SampleKind.FIXED, year: int, division_code: str | None = None,
                size: int | None = None, rate: float | None = None, seed: int | None = None,
                panel: SampleDraw | None = None) -> SampleDraw:
    """Draw a stratified random sample of the households registered in ``year`` within ``division_code``
    (default: the actor's division): ``size`` households, or ceil(``rate`` × N), allocated to the strata
    (county × status) in proportion to their sizes. ``seed`` (random when not given) is stored: the same
    population and seed give the same households. With ``panel``, continues that fixed panel instead."""
    actor = _check_actor(actor)
    if panel is not None:
        return continue_panel(actor=actor, panel=panel, year=year, seed=seed)
    if kind not in SampleKind.values:
        raise ValidationError({"kind": [f"抽样类型应为 {'、'.join(SampleKind.values)} 之一"]})
    division = run_division(actor, division_code)
    seed = _seed(seed)
    people = population(year=int(year), division=division)
    if not people.size:
        raise ValidationError({"year": [f"{year}年度 {division.name} 没有在册农户,无法抽样"]})
    try:
        n = sample_size(people.size, size=size, rate=rate)
    except ValueError as exc:
        raise ValidationError({"size" if rate is None else "rate": [str(exc)]}) from exc
    sizes = allocate({k: len(v) for k, v in people.strata.items()}, n)
    chosen = {k: choose(ids, sizes[k], stratum_rng(seed, int(year), k)) for k, ids in people.strata.items()}
    strata = {k: {"population": len(ids), "sample": sizes[k]} for k, ids in people.strata.items()}
    with transaction.atomic():
        draw = _store(SampleDraw(kind=kind, year=int(year), division=division, rate=rate, seed=seed,
                                 created_by=actor), chosen, strata)
    logger.info("sample draw %s by %s: %s %s n=%s seed=%s", draw.pk, actor.username, year, division.code,
                draw.size, seed)
    return draw


def continue_panel(*, actor: User, panel: SampleDraw, year: int, seed: int | None = None) -> SampleDraw:
    """Carry the fixed panel ``panel`` into ``year``: its households still registered stay (in the stratum of
    their status that year); each household that left is replaced by a new draw from the stratum it was drawn
    in; a stratum that has households this year but no panel unit gets one, so no stratum goes unseen.
    ``seed`` defaults to the panel's; replacements are reproducible for the same seed and population."""
    actor = _check_actor(actor)
    if panel.kind != SampleKind.FIXED:
        raise ValidationError({"panel": ["只有固定抽样可以沿用到以后年度"]})
    if not division_visible(actor, panel.division_id):
        raise PermissionDenied("该样本的抽样范围不在您的管辖范围内")
    year = int(year)
    if year <= panel.year:
        raise ValidationError({"year": [f"沿用年度应晚于 {panel.year} 年"]})
    seed = panel.seed if seed is None else _seed(seed)
    people = population(year=year, division=panel.division)
    if not people.size:
        raise ValidationError({"year": [f"{year}年度 {panel.division.name} 没有在册农户,无法沿用固定样本"]})
    now = people.stratum_of
    old = dict(panel.units.values_list("household_id", "stratum"))
    chosen: dict[str, list[int]] = defaultdict(list)
    kept: Counter[str] = Counter()
    for hid in sorted(old):
        if hid in now:
            chosen[now[hid]].append(hid)
            kept[now[hid]] += 1
    leavers = Counter(old[hid] for hid in old if hid not in now)
    replaced: Counter[str] = Counter()
    for k, count in sorted(leavers.items()):
        pool = [hid for hid in people.strata.get(k, []) if hid not in old]
        for hid in choose(pool, count, stratum_rng(seed, year, k)):
            chosen[k].append(hid)
            replaced[k] += 1
    added: Counter[str] = Counter()
    for k, ids in people.strata.items():
        if not chosen.get(k):
            pool = [hid for hid in ids if hid not in old]
            for hid in choose(pool, 1, stratum_rng(seed, year, k)):
                chosen[k].append(hid)
                added[k] += 1
    strata = {k: {"population": len(ids), "sample": len(chosen.get(k, [])), "kept": kept[k],
                  "replaced": replaced[k], "added": added[k]} for k, ids in people.strata.items()}
    with transaction.atomic():
        draw = _store(SampleDraw(kind=SampleKind.FIXED, year=year, division=panel.division, rate=panel.rate,
                                 seed=seed, panel=panel, created_by=actor),
                      {k: sorted(v) for k, v in chosen.items()}, strata)
    logger.info("sample panel %s continued as %s by %s: kept %s, replaced %s, added %s", panel.pk, draw.pk,
                actor.username, sum(kept.values()), sum(replaced.values()), sum(added.values()))
    return draw
