"""Stratified estimates of a share from the visited units of a draw: a pure function over the strata
(population N_h, visited n_h, units found so x_h), so it can be checked on simulated populations at scale.

    p̂ = Σ W_h p̂_h, W_h = N_h / N, p̂_h = x_h / n_h
    v(p̂) = Σ W_h² (1 − n_h/N_h) p̂_h (1 − p̂_h) / (n_h − 1)

with the finite population correction; the 95 % interval is p̂ ± z·√v clipped to [0, 1] (normal approximation).

Choices (documented on the page and in the JSON):
- only visited units count (n_h is the number visited, not drawn). A stratum with no visited unit is left out
  and W_h is taken over the strata that were visited; ``covered_population`` says how much of N that is.
- a stratum with a single visited unit adds no variance term (n_h − 1 = 0, and p̂_h(1 − p̂_h) = 0 anyway).
- when the estimated variance is zero although not every household was visited (every visited unit in each
  stratum agrees, typically none found wrong), the normal interval would have zero width; the Wilson score
  interval for p̂ with the number visited as the sample size is given instead (method "wilson"), which for
  p̂ = 0 is [0, z²/(n + z²)]. When every household of every stratum was visited the estimate is exact (method
  "census")."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from statistics import NormalDist
from typing import Any

CONFIDENCE = 0.95


@dataclass(frozen=True)
class StratumCount:
    stratum: str
    population: int   # N_h
    visited: int      # n_h, units with a visit result for this measure
    hits: int         # x_h, of those, found wrong (or wrongly exited)


@dataclass
class ShareEstimate:
    estimate: float | None
    low: float | None
    high: float | None
    se: float | None
    method: str            # normal | wilson | census | none
    confidence: float
    visited: int
    hits: int
    population: int
    covered_population: int
    strata_uncovered: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def z_value(confidence: float = CONFIDENCE) -> float:
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson(p: float, n: int, z: float) -> tuple[float, float]:
    """The Wilson score interval of a proportion p̂ observed on n units."""
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def stratified_share(strata: Iterable[StratumCount], confidence: float = CONFIDENCE) -> ShareEstimate:
    rows = [s for s in strata if s.population > 0]
    population = sum(s.population for s in rows)
    covered = [s for s in rows if s.visited > 0]
    uncovered = sorted(s.stratum for s in rows if s.visited == 0)
    visited, hits = sum(s.visited for s in covered), sum(s.hits for s in covered)
    covered_population = sum(s.population for s in covered)
    base = {"confidence": confidence, "visited": visited, "hits": hits, "population": population,
            "covered_population": covered_population, "strata_uncovered": uncovered}
    if not covered:
        return ShareEstimate(estimate=None, low=None, high=None, se=None, method="none", **base)
    for s in covered:
        if not 0 <= s.hits <= s.visited <= s.population:
            raise ValueError(f"层 {s.stratum} 的数据不一致: N={s.population}, n={s.visited}, x={s.hits}")
    p = variance = 0.0
    for s in covered:
        weight = s.population / covered_population
        share = s.hits / s.visited
        p += weight * share
        if s.visited > 1:
            fpc = 1 - s.visited / s.population
            variance += weight * weight * fpc * share * (1 - share) / (s.visited - 1)
    p = min(1.0, max(0.0, p))
    se = math.sqrt(variance)
    z = z_value(confidence)
    if se > 0:
        low, high, method = max(0.0, p - z * se), min(1.0, p + z * se), "normal"
    elif all(s.visited == s.population for s in covered):
        low, high, method = p, p, "census"
    else:
        (low, high), method = wilson(p, visited, z), "wilson"
    return ShareEstimate(estimate=p, low=low, high=high, se=se, method=method, **base)
