"""How many households to draw from each stratum and which ones: pure functions, no database.

Allocation is proportional to the stratum sizes, rounded by largest remainder so that the sizes add up to the
requested total exactly; when the total allows it every non-empty stratum gets at least one household (taken
from the stratum that rounding favoured most), so that no part of the population is left unseen.

Selection is simple random sampling without replacement within each stratum, over the stratum's households
sorted by id. Each stratum has its own generator seeded by (seed, year, stratum), so the draw is reproducible for
the same population and seed, and the households drawn in one stratum do not depend on which other strata exist."""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence

import numpy as np

MAX_SEED = 2**63 - 1


def sample_size(population: int, *, size: int | None = None, rate: float | None = None) -> int:
    """The total to draw: ``size`` (at most the population), or ceil(rate × population) for a rate in (0, 1].

    The rate is applied to the whole population, not per stratum, so that the allocation stays proportional
    (a per-stratum ceiling would overweight the small strata)."""
    if (size is None) == (rate is None):
        raise ValueError("应给出样本量或抽样比例之一")
    if size is not None:
        if size < 1:
            raise ValueError("样本量应至少为 1")
        return min(int(size), population)
    assert rate is not None
    if not 0 < rate <= 1:
        raise ValueError("抽样比例应大于 0 且不大于 1")
    # A rate like 0.07 × 100 is 7.000000000000001 in floating point; round away that noise before the ceiling.
    return min(population, math.ceil(round(rate * population, 9)))


def allocate(populations: Mapping[str, int], n: int) -> dict[str, int]:
    """Proportional allocation of ``n`` over strata of the given sizes; Σ n_h = min(n, N) exactly.

    n_h is within ±1 of n·N_h/N except where the at-least-one rule had to move a unit; empty strata get 0."""
    strata = sorted(k for k, v in populations.items() if v > 0)
    total = sum(populations[k] for k in strata)
    n = min(n, total)
    out = {k: 0 for k in populations}
    if n <= 0 or not strata:
        return out
    quota = {k: n * populations[k] / total for k in strata}
    for k in strata:
        out[k] = math.floor(quota[k])
    left = n - sum(out[k] for k in strata)
    # Largest remainder; ties go to the larger stratum, then to the stratum key, so the result is deterministic.
    order = sorted(strata, key=lambda k: (-(quota[k] - out[k]), -populations[k], k))
    for k in order[:left]:
        out[k] += 1
    if n >= len(strata):
        for k in strata:
            if out[k] == 0:
                donors = [d for d in strata if out[d] > 1]
                donor = max(donors, key=lambda d: (out[d] - quota[d], populations[d], d))
                out[donor] -= 1
                out[k] = 1
    return out


def stratum_rng(seed: int, year: int, stratum: str) -> np.random.Generator:
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"随机种子应为 0 到 {MAX_SEED} 之间的整数")
    return np.random.default_rng([int(seed), int(year), zlib.crc32(stratum.encode())])


def choose(ids: Sequence[int], k: int, rng: np.random.Generator) -> list[int]:
    """``k`` of ``ids`` by simple random sampling without replacement, over the ids sorted; returned sorted."""
    pool = sorted(ids)
    if k >= len(pool):
        return pool
    if k <= 0:
        return []
    picked = rng.choice(len(pool), size=k, replace=False)
    return sorted(pool[i] for i in picked)


def draw_strata(strata: Mapping[str, Sequence[int]], sizes: Mapping[str, int], *, seed: int,
                year: int) -> dict[str, list[int]]:
    """The ids drawn in each stratum, ``sizes[stratum]`` of them (strata missing from ``sizes`` get none)."""
    return {k: choose(ids, sizes.get(k, 0), stratum_rng(seed, year, k)) for k, ids in sorted(strata.items())}
