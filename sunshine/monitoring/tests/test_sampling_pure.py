"""The allocation, the selection and the estimator without the database, on simulated populations whose true
share is known."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from sunshine.monitoring.sampling.allocation import allocate, choose, draw_strata, sample_size, stratum_rng
from sunshine.monitoring.sampling.estimate import StratumCount, stratified_share, wilson

SIZES = {"320321:in_poverty": 3000, "320321:exited": 1500, "320322:exited": 600}
TRUE_SHARES = {"320321:in_poverty": 0.08, "320321:exited": 0.20, "320322:exited": 0.35}


def simulated_population(seed: int = 7) -> dict[str, dict[int, bool]]:
    """Households as plain data: stratum → {household id: data wrong}, exactly round(share × N_h) wrong."""
    rng = np.random.default_rng(seed)
    out: dict[str, dict[int, bool]] = {}
    next_id = 1
    for stratum, size in SIZES.items():
        flags = np.zeros(size, dtype=bool)
        flags[: round(TRUE_SHARES[stratum] * size)] = True
        rng.shuffle(flags)
        out[stratum] = {next_id + i: bool(v) for i, v in enumerate(flags)}
        next_id += size + 1000
    return out


def one_draw(population: dict[str, dict[int, bool]], n: int, seed: int, strata: list[str] | None = None):
    keys = strata or list(population)
    sizes = allocate({k: len(population[k]) for k in keys}, n)
    drawn = draw_strata({k: list(population[k]) for k in keys}, sizes, seed=seed, year=2020)
    counts = [StratumCount(k, len(population[k]), len(ids), sum(population[k][i] for i in ids))
              for k, ids in drawn.items()]
    return drawn, stratified_share(counts)


def test_sample_size_from_size_or_rate():
    assert sample_size(1000, size=50) == 50
    assert sample_size(30, size=50) == 30
    assert sample_size(100, rate=0.07) == 7
    assert sample_size(101, rate=0.07) == 8  # ceil(7.07)
    for bad in ({}, {"size": 5, "rate": 0.1}, {"rate": 0}, {"rate": 1.5}, {"size": 0}):
        with pytest.raises(ValueError):
            sample_size(100, **bad)


@pytest.mark.parametrize("n", [3, 7, 50, 129, 301, 1000, 5100])
def test_allocation_is_proportional_and_adds_up(n):
    populations = {**SIZES, "320323:returned": 40, "320323:exited": 0}
    sizes = allocate(populations, n)
    total = sum(populations.values())
    assert sum(sizes.values()) == min(n, total)
    assert sizes["320323:exited"] == 0
    # ±1 of the proportional quota; a stratum giving up a unit so that a tiny stratum gets one may be off by 2.
    forced = any(0 < n * v / total < 1 for v in populations.values())
    for k, size in sizes.items():
        assert abs(size - n * populations[k] / total) <= (2 if forced else 1), (k, size)
        assert size <= populations[k]
    if n >= 4:
        assert all(sizes[k] >= 1 for k in populations if populations[k])


def test_at_least_one_per_stratum_takes_from_the_favoured_stratum():
    sizes = allocate({"a": 1000, "b": 5, "c": 5}, 10)
    assert sizes == {"a": 8, "b": 1, "c": 1}
    # Fewer units than strata: proportional only, the largest strata first.
    assert allocate({"a": 1000, "b": 5, "c": 5}, 2) == {"a": 2, "b": 0, "c": 0}


def test_selection_is_reproducible_for_a_seed_and_changes_with_it():
    ids = list(range(5000, 0, -3))  # given unsorted: selection is over the sorted ids
    first = choose(ids, 25, stratum_rng(42, 2020, "320321:exited"))
    assert first == choose(list(reversed(ids)), 25, stratum_rng(42, 2020, "320321:exited"))
    assert first != choose(ids, 25, stratum_rng(43, 2020, "320321:exited"))
    assert first != choose(ids, 25, stratum_rng(42, 2020, "320321:in_poverty"))
    assert len(set(first)) == 25 and set(first) <= set(ids)
    # Another stratum being present does not change what is drawn in this one.
    a = draw_strata({"x": ids, "y": ids[:40]}, {"x": 10, "y": 4}, seed=9, year=2021)
    b = draw_strata({"x": ids}, {"x": 10}, seed=9, year=2021)
    assert a["x"] == b["x"]


def test_interval_covers_the_true_share_in_about_95_percent_of_draws():
    population = simulated_population()
    total = sum(len(v) for v in population.values())
    true_share = sum(sum(v.values()) for v in population.values()) / total
    repetitions, covered, estimates = 400, 0, []
    for seed in range(repetitions):
        _, est = one_draw(population, 300, seed)
        assert est.method == "normal" and est.visited == 300
        covered += est.low <= true_share <= est.high
        estimates.append(est.estimate)
    coverage = covered / repetitions
    assert 0.90 <= coverage <= 0.99, coverage
    # Unbiased: the mean of 400 estimates lies within 4 standard errors of the mean of the truth.
    spread = float(np.std(estimates))
    assert abs(float(np.mean(estimates)) - true_share) < 4 * spread / math.sqrt(repetitions)
    assert 0.01 < spread < 0.03  # √(p(1−p)/n) ≈ 0.02 for n = 300


def test_domain_estimate_over_the_exited_strata():
    population = simulated_population()
    exited = [k for k in population if k.endswith(":exited")]
    true_share = sum(sum(population[k].values()) for k in exited) / sum(len(population[k]) for k in exited)
    covered = 0
    for seed in range(200):
        _, est = one_draw(population, 120, seed, strata=exited)
        covered += est.low <= true_share <= est.high
    assert 0.88 <= covered / 200 <= 1.0


def test_hand_computed_estimate():
    est = stratified_share([StratumCount("a", 100, 10, 2), StratumCount("b", 300, 20, 5)])
    p = 0.25 * 0.2 + 0.75 * 0.25
    var = 0.25**2 * 0.9 * 0.2 * 0.8 / 9 + 0.75**2 * (1 - 20 / 300) * 0.25 * 0.75 / 19
    z = NormalDist().inv_cdf(0.975)
    assert est.estimate == pytest.approx(p)
    assert est.se == pytest.approx(math.sqrt(var))
    assert (est.low, est.high) == pytest.approx((p - z * math.sqrt(var), p + z * math.sqrt(var)))
    assert (est.visited, est.hits, est.population, est.covered_population) == (30, 7, 400, 400)


def test_unvisited_strata_are_left_out_and_reported():
    est = stratified_share([StratumCount("a", 100, 10, 2), StratumCount("b", 300, 0, 0)])
    assert est.estimate == pytest.approx(0.2) and est.strata_uncovered == ["b"]
    assert (est.population, est.covered_population) == (400, 100)
    nothing = stratified_share([StratumCount("a", 100, 0, 0)])
    assert nothing.estimate is None and nothing.method == "none"


def test_all_agreeing_units_give_a_wilson_interval_not_a_point():
    est = stratified_share([StratumCount("a", 1000, 40, 0), StratumCount("b", 500, 20, 0)])
    z = NormalDist().inv_cdf(0.975)
    assert est.method == "wilson" and est.estimate == 0 and est.low == 0
    assert est.high == pytest.approx(z * z / (60 + z * z))
    every = stratified_share([StratumCount("a", 50, 30, 30)])
    assert every.method == "wilson" and every.high == 1 and every.low < 1
    assert wilson(0.5, 100, z) == pytest.approx((0.4038, 0.5962), abs=1e-4)
    census = stratified_share([StratumCount("a", 5, 5, 1), StratumCount("b", 3, 3, 0)])
    assert census.method == "census" and census.low == census.high == pytest.approx(1 / 8)


def test_inconsistent_counts_are_refused():
    with pytest.raises(ValueError):
        stratified_share([StratumCount("a", 10, 5, 6)])
