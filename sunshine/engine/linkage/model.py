"""The Fellegi–Sunter model (Splink 5) that links department rows to registry members: its comparisons, blocking
rules, unsupervised training and the choice of one member per department row.

Training, without labels:
1. the prior (probability that a department row and a member picked at random are the same person) from the
   pairs that agree on name pinyin and birth date, taken to find ``DETERMINISTIC_RECALL`` of the true matches;
   it is counted in Arrow, so both engines start from the same value;
2. u probabilities from random pairs (seeded, hash-based sampling in Splink 5: reproducible);
3. m probabilities by expectation maximisation on pairs blocked on the birth date (estimates name and place)
   and on the name pinyin (estimates birth date and place); the m of gender and of the sparse levels is fixed
   (see ``comparisons``);
4. every m raised to at least ``M_FLOOR``: a level never seen among the matches of the training pairs (a
   near-miss name in data whose only name noise is homophones) would otherwise weigh more against a link than
   a wholly different name; and m, u rounded to 10 significant digits (see ``_significant``).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import Linker, SettingsCreator, block_on
from splink.internals.exceptions import EMTrainingException

logger = logging.getLogger(__name__)

DETERMINISTIC_RECALL = 0.8
GENDER_ERROR = 0.02   # share of true matches whose recorded genders differ
M_FLOOR = 1e-3        # no level may veto a link because the training pairs never showed it among matches
# m of the levels that hold almost no matches (a near-miss name that is no homophone, a birth date wrong in more
# than one digit): fixed, because EM, finding next to no matches there, drives them towards 0 with every
# iteration until Splink rejects the value (below 1e-300) and the whole estimation fails
SPARSE_M = 0.005
DEPARTMENT, REGISTRY = "department", "registry"

# name_fuzzy (模糊音) rather than name_pinyin: it takes in every pinyin match and the dialect variants too.
PREDICTION_RULES = (
    block_on("birth_date"),
    block_on("name_fuzzy", "township"),
    block_on("name_fuzzy", "birth_year"),
    block_on("name_fuzzy", "birth_md"),  # no place given and a typo in the birth year
)
TRAINING_KEYS = (("birth_date",), ("name_pinyin",))
# More pairs add little to a dozen m probabilities; a 2.5M registry blocks 8M and 13M. At a province (52,148 links
# of 2.3M people) 5e5 gave the same links as 2e6, probabilities within 6e-7, and took 12 s less of the run.
EM_MAX_PAIRS = 5e5


def _level(sql: str, label: str) -> cll.CustomLevel:
    return cll.CustomLevel(sql, label_for_charts=label)


def comparisons() -> list[cl.CustomComparison]:
    name = cl.CustomComparison([
        cll.NullLevel("name_pinyin"),
        cll.ExactMatchLevel("name", term_frequency_adjustments=True),
        # no term-frequency adjustment here: Splink would set the pinyin's whole frequency against this level's
        # u, which excludes the pairs of identical names, and so punish a homophone far too much
        _level("name_pinyin_l = name_pinyin_r", "same pinyin"),
        _level("name_fuzzy_l = name_fuzzy_r", "same pinyin but for sounds dialects merge"),
        cll.JaroWinklerLevel("name_pinyin", 0.9).configure(m_probability=SPARSE_M, fix_m_probability=True),
        cll.ElseLevel(),
    ], output_column_name="name")
    birth = cl.CustomComparison([
        cll.NullLevel("birth_date"),
        cll.ExactMatchLevel("birth_date"),
        cll.LevenshteinLevel("birth_date", 1),  # one digit wrong
        _level("birth_ym_l = birth_ym_r", "same year and month").configure(
            m_probability=SPARSE_M, fix_m_probability=True),
        _level("birth_year_l = birth_year_r", "same year").configure(m_probability=SPARSE_M, fix_m_probability=True),
        cll.ElseLevel(),
    ], output_column_name="birth_date")
    # Fixed, not estimated: names are gendered, so pairs that agree on the name agree on gender far more often
    # than u says, and EM blocked on the name would read that as evidence of a match.
    gender = cl.CustomComparison([
        cll.NullLevel("gender"),
        cll.ExactMatchLevel("gender").configure(m_probability=1 - GENDER_ERROR, fix_m_probability=True),
        cll.ElseLevel().configure(m_probability=GENDER_ERROR, fix_m_probability=True),
    ], output_column_name="gender")
    place = cl.CustomComparison([
        _level("county_l IS NULL OR county_r IS NULL", "place unknown").configure(is_null_level=True),
        _level("village_l = village_r", "same village"),
        _level("township_l = township_r AND (village_l IS NULL OR village_r IS NULL)",
               "same township, village not given"),
        _level("township_l = township_r", "same township, other village"),
        _level("county_l = county_r", "same county"),
        cll.ElseLevel(),
    ], output_column_name="place")
    return [name, birth, gender, place]


def pair_count(department: pa.Table, people: pa.Table, keys: tuple[str, ...]) -> float:
    """Number of (department row, member) pairs that agree on all ``keys`` (NULL agrees with nothing)."""
    def counts(features: pa.Table) -> pa.Table:
        kept = features.select(list(keys))
        for key in keys:
            kept = kept.filter(pc.is_valid(kept[key]))
        return kept.group_by(list(keys)).aggregate([([], "count_all")])

    joined = counts(department).join(counts(people), list(keys), join_type="inner", left_suffix="_d",
                                     right_suffix="_p")
    if joined.num_rows == 0:
        return 0.0
    return float(np.dot(joined["count_all_d"].to_numpy().astype(np.float64),
                        joined["count_all_p"].to_numpy().astype(np.float64)))


def prior(department: pa.Table, people: pa.Table) -> float:
    """Probability that a random (department row, member) pair is a match, from the pairs agreeing on name
    pinyin and birth date."""
    expected = max(pair_count(department, people, ("name_pinyin", "birth_date")) / DETERMINISTIC_RECALL, 1.0)
    return min(expected / (department.num_rows * people.num_rows), 0.5)


def settings(probability_two_random_records_match: float) -> SettingsCreator:
    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        probability_two_random_records_match=probability_two_random_records_match,
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=list(PREDICTION_RULES),
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


def train(linker: Linker, department: pa.Table, people: pa.Table, *, seed: int, max_pairs: float,
          ) -> dict[str, Any]:
    """Estimate u and m without labels; the trained model as a Splink settings dict, m floored."""
    # one chunk and no early stop: the pairs counted do not then depend on the engine's hash of the chunks
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed, num_chunks=1,
                                                     min_count_per_level=None)
    for keys in TRAINING_KEYS:
        pairs = pair_count(department, people, keys)
        if pairs == 0:
            continue  # tiny inputs: the other rule, or Splink's default m, stands
        try:
            # without term frequencies, each EM iteration reads the counts of agreement patterns, not every pair
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*keys), estimate_without_term_frequencies=True,
                max_pairs=EM_MAX_PAIRS if pairs > EM_MAX_PAIRS else None)
        except EMTrainingException:
            continue
        except ValueError as error:  # an m driven below 1e-300 (see SPARSE_M): keep what the other rule gives
            if "minimum allowed" not in str(error):
                raise
            # handled (the other blocking rule's estimates stand), so not a warning an operator must act on
            logger.info("按 %s 分块的 EM 估计提前停止,沿用另一分块规则的估计: %s", "+".join(keys), error)
    model = linker.misc.save_model_to_json()
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m = level.get("m_probability")
            level["m_probability"] = _significant(max(m if isinstance(m, float) else 0.0, M_FLOOR))
            if isinstance(level.get("u_probability"), float):
                level["u_probability"] = _significant(level["u_probability"])
    return model


def _significant(value: float) -> float:
    """``value`` to 10 significant digits. EM sums in parallel, in an order that varies from run to run (and
    between engines) by a few units in the last place; rounding the parameters makes the same inputs give
    the same probabilities."""
    return float(f"{value:.10g}")


def db_api(engine: str, spark_session: Any = None) -> Any:  # noqa: ANN401 - a Splink DatabaseAPI
    if engine == "duckdb":
        from splink import DuckDBAPI

        return DuckDBAPI()
    if engine == "spark":
        if spark_session is None:
            raise ValueError("engine 'spark' needs a spark_session")
        from splink import SparkAPI

        return SparkAPI(spark_session=spark_session)
    raise ValueError(f"unknown engine {engine!r}: use 'duckdb' or 'spark'")


def predict(department: pa.Table, people: pa.Table, *, threshold: float, engine: str, spark_session: Any,
            seed: int, max_pairs: float) -> pa.Table:
    """Pairs above ``threshold`` as columns row (the department row's position), member_key, probability."""
    api = db_api(engine, spark_session)
    suffix = uuid.uuid4().hex[:12]  # a Spark session outlives this call: its temp views must not collide
    left = api.register(department, table_name=f"linkage_department_{suffix}", dataset_display_name=DEPARTMENT)
    right = api.register(people, table_name=f"linkage_registry_{suffix}", dataset_display_name=REGISTRY)
    try:
        linker = Linker([left, right], settings(prior(department, people)), log_level=logging.ERROR)
        model = train(linker, department, people, seed=seed, max_pairs=max_pairs)
        linker = Linker([left, right], model, log_level=logging.ERROR)
        pairs = linker.inference.predict(threshold_match_probability=threshold).as_pyarrow_table()
    finally:
        api.delete_tables_created_by_splink_from_db()
        for name in (left.physical_name, right.physical_name):
            api.delete_table_from_database(name)
        if engine == "duckdb":
            api.duckdb_con.close()
    department_on_left = pc.equal(pairs["source_dataset_l"], DEPARTMENT)
    return pa.table({
        "row": pc.if_else(department_on_left, pairs["unique_id_l"], pairs["unique_id_r"]).cast(pa.int64()),
        "member_key": pc.if_else(department_on_left, pairs["unique_id_r"], pairs["unique_id_l"]).cast(pa.int64()),
        "probability": pairs["match_probability"].cast(pa.float64()),
    })


def best_per_row(pairs: pa.Table) -> pa.Table:
    """The most probable member of each department row; equal probabilities go to the lowest member_key."""
    if pairs.num_rows == 0:
        return pairs
    ordered = pairs.sort_by([("row", "ascending"), ("probability", "descending"), ("member_key", "ascending")])
    rows = ordered["row"].to_numpy()
    first = np.ones(rows.size, dtype=bool)
    first[1:] = rows[1:] != rows[:-1]
    return ordered.filter(pa.array(first))
