"""Probabilistic linkage of department rows without a valid ID (sunshine.engine.linkage) on a synthetic
population whose truth is known: precision and recall, homophones and variant characters, outsiders with
common names, determinism, and the same links on Spark as on DuckDB."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from sunshine.engine.comparison.datasets import arrow_schema
from sunshine.engine.comparison.snapshot import LINKS
from sunshine.engine.linkage import DEPARTMENT_ROWS, link, synthetic, unmatched_rows
from sunshine.engine.linkage.features import department_features, name_features, people_features

VILLAGE = "320321101001"
OTHER_COUNTY_VILLAGE = "321324199012"  # a code no synthetic member lives in


def _row(dataset: str, source_row: int, name: str, birth: dt.date | None, gender: str | None,
         code: str | None) -> dict:
    return {"dataset": dataset, "source_row": source_row, "name": name, "birth_date": birth, "gender": gender,
            "division_code": code}


def _most_common_name(people: pa.Table) -> str:
    counts = pc.value_counts(people["name"]).to_pylist()
    return max(counts, key=lambda c: (c["counts"], c["values"]))["values"]


@pytest.fixture(scope="module")
def population():
    """4,000 members plus two with distinctive names; 800 department rows (80% members with noise, 20%
    outsiders) plus hand-written rows for the cases the tests name."""
    people = synthetic.members(4000, seed=7)
    planted = pa.table({
        "member_key": pa.array([90001, 90002], pa.int64()),
        "name": ["张晓峰", "李秀群"],
        "birth_date": pa.array([dt.date(1975, 6, 12), dt.date(1982, 11, 3)], pa.date32()),
        "gender": ["male", "female"],
        "village_code": [VILLAGE, "320321101002"],
    })
    people = pa.concat_tables([people, planted])
    rows, truth = synthetic.department(people, 800, seed=7)

    common = _most_common_name(people)
    taken = set(people.filter(pc.equal(people["name"], common))["birth_date"].to_pylist())
    outsider_birth = next(d for d in (dt.date(1960, 1, 1) + dt.timedelta(days=i) for i in range(9999))
                          if d not in taken)
    extra = pa.Table.from_pylist([
        _row("deaths", 9001, "章晓峯", dt.date(1975, 6, 12), "male", VILLAGE),                # homophone + variant
        _row("deaths", 9002, "理秀羣", dt.date(1982, 11, 8), None, "320321101000"),          # + date typo, township
        _row("deaths", 9003, common, outsider_birth, "female" if common[-1] in synthetic.FEMALE_GIVEN else "male",
             OTHER_COUNTY_VILLAGE),                                                           # outsider
    ], schema=DEPARTMENT_ROWS)
    department = pa.concat_tables([rows, extra])
    truth = pa.concat_arrays([truth, pa.array([90001, 90002, None], pa.int64())])
    links = link(department, people)
    return people, department, truth, links


def _keyed(links: pa.Table) -> dict[tuple[str, int], int]:
    return {(d, r): k for d, r, k in zip(links["dataset"].to_pylist(), links["source_row"].to_pylist(),
                                          links["member_key"].to_pylist(), strict=True)}


def test_precision_and_recall_on_the_planted_truth(population):
    _, department, truth, links = population
    expected = {(d, r): k for d, r, k in zip(department["dataset"].to_pylist(),
                                             department["source_row"].to_pylist(), truth.to_pylist(), strict=True)}
    got = _keyed(links)
    correct = sum(1 for key, member in got.items() if expected[key] == member)
    precision = correct / len(got)
    recall = correct / sum(1 for member in expected.values() if member is not None)
    assert precision >= 0.95, precision
    assert recall >= 0.90, recall


def test_links_have_the_links_schema_one_per_row_above_threshold(population):
    _, _, _, links = population
    assert links.schema == LINKS
    assert len(_keyed(links)) == links.num_rows
    assert pc.min(links["probability"]).as_py() >= 0.95
    assert pc.max(links["probability"]).as_py() <= 1.0


def test_homophone_and_variant_names_are_linked(population):
    _, department, truth, links = population
    got = _keyed(links)
    assert got.get(("deaths", 9001)) == 90001   # 章晓峯 → 张晓峰
    assert got.get(("deaths", 9002)) == 90002   # 理秀羣, birth date typo, township only → 李秀群
    # and among the generated rows, those whose name was written with other characters
    people = population[0]
    names = dict(zip(people["member_key"].to_pylist(), people["name"].to_pylist(), strict=True))
    altered = [(d, r, k) for d, r, n, k in zip(department["dataset"].to_pylist(), department["source_row"].to_pylist(),
                                               department["name"].to_pylist(), truth.to_pylist(), strict=True)
               if k is not None and n != names[k]]
    assert len(altered) >= 50
    found = sum(1 for d, r, k in altered if got.get((d, r)) == k)
    assert found / len(altered) >= 0.85, (found, len(altered))


def test_outsider_with_a_common_name_is_not_linked(population):
    people, _, _, links = population
    assert ("deaths", 9003) not in _keyed(links)
    # the name really is common: many members carry it
    common = _most_common_name(people)
    assert pc.sum(pc.equal(people["name"], common)).as_py() >= 5


def test_same_seed_same_links(population):
    people, department, _, links = population
    again = link(department, people, seed=1)
    assert again.equals(links)


def test_threshold_keeps_fewer_links(population):
    people, department, _, links = population
    strict = link(department, people, threshold=0.999)
    assert strict.num_rows < links.num_rows
    assert set(_keyed(strict).items()) <= set(_keyed(links).items())


def test_unmatched_rows_keeps_rows_without_id_or_hash_but_with_a_name():
    schema = arrow_schema("deaths")
    table = pa.Table.from_pylist([
        {"source_row": 2, "id_number": "11010119800101001X", "name": "王伟", "death_date": dt.date(2020, 1, 1)},
        {"source_row": 3, "id_hash": "ab" * 32, "name": "王伟", "death_date": dt.date(2020, 1, 1)},
        {"source_row": 4, "id_raw": "1101011980", "name": "王伟", "birth_date": dt.date(1980, 1, 1),
         "gender": "male", "division_code": VILLAGE, "death_date": dt.date(2020, 1, 1)},
        {"source_row": 5, "name": None, "death_date": dt.date(2020, 1, 1)},
        {"source_row": 6, "name": "李娜", "death_date": dt.date(2020, 1, 1)},
        {"source_row": 7, "name": "  ", "death_date": dt.date(2020, 1, 1)},
    ], schema=schema)
    rows = unmatched_rows("deaths", table)
    assert rows.schema == DEPARTMENT_ROWS
    assert rows.to_pylist() == [
        _row("deaths", 4, "王伟", dt.date(1980, 1, 1), "male", VILLAGE),
        _row("deaths", 6, "李娜", None, None, None),
    ]


def test_empty_inputs_give_empty_links():
    people = synthetic.members(50, seed=1)
    assert link(DEPARTMENT_ROWS.empty_table(), people).equals(LINKS.empty_table())
    rows = synthetic.department(people, 5, seed=1)[0]
    with pytest.raises(ValueError, match="engine"):
        link(rows, people, engine="oracle")
    with pytest.raises(ValueError, match="spark_session"):
        link(rows, people, engine="spark")
    with pytest.raises(ValueError, match="threshold"):
        link(rows, people, threshold=0)


def test_name_features_fold_variants_and_read_surnames():
    assert name_features("張 偉") == ("张伟", "zhangwei", "zw", "zanwei")
    assert name_features("陈林")[3] == name_features("程玲")[3]  # 模糊音: chen/cheng, lin/ling
    assert name_features("章伟")[1] == name_features("张伟")[1]
    assert name_features("李峯")[0] == "李峰"
    assert name_features("王羣")[0] == "王群"
    assert name_features("曾伟")[1] == name_features("增伟")[1] == "zengwei"  # 曾 as a surname reads zeng
    assert name_features("阿依·古丽")[0] == "阿依古丽"


def test_place_and_date_features():
    department = pa.Table.from_pylist([
        _row("deaths", 2, "王伟", dt.date(1980, 3, 9), "male", "320321101001"),
        _row("deaths", 3, "王伟", None, "MALE", "320321101000"),
        _row("deaths", 4, "王伟", None, "", "320321"),
        _row("deaths", 5, "王伟", None, None, "not a code"),
    ], schema=DEPARTMENT_ROWS)
    f = department_features(department).to_pylist()
    assert [(r["village"], r["township"], r["county"]) for r in f] == [
        ("320321101001", "320321101", "320321"), (None, "320321101", "320321"), (None, None, "320321"),
        (None, None, None)]
    assert [r["gender"] for r in f] == ["male", "male", None, None]
    assert (f[0]["birth_date"], f[0]["birth_ym"], f[0]["birth_year"], f[0]["birth_md"]) == (
        "1980-03-09", "1980-03", "1980", "03-09")
    people = synthetic.members(3, seed=1)
    assert people_features(people)["unique_id"].to_pylist() == [1, 2, 3]


def test_linkage_imports_no_django():
    code = ("import sys; import sunshine.engine.linkage, sunshine.engine.linkage.synthetic; "
            "bad = [m for m in sys.modules if m == 'django' or m.startswith('django.')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)  # noqa: S603
    assert done.returncode == 0, done.stdout + done.stderr


def test_spark_gives_the_same_links_as_duckdb(spark):
    """With every pair in the u sample (max_pairs ≥ rows × members) both engines train on the same pairs and give
    the same links. Probabilities agree to about 1e-9, not exactly: Splink's Jaro-Winkler on Spark (its jar) and
    DuckDB's jaro_winkler_similarity differ slightly, so the Jaro-Winkler level's u, and EM after it, differ."""
    people = synthetic.members(1000, seed=11)
    department, _ = synthetic.department(people, 250, seed=11)
    everything = float(department.num_rows * people.num_rows)
    on_duckdb = link(department, people, max_pairs=everything)
    on_spark = link(department, people, engine="spark", spark_session=spark, max_pairs=everything)
    assert on_duckdb.num_rows > 150
    assert on_spark.select(["dataset", "source_row", "member_key"]).equals(
        on_duckdb.select(["dataset", "source_row", "member_key"]))
    difference = pc.max(pc.abs(pc.subtract(on_spark["probability"], on_duckdb["probability"]))).as_py()
    assert difference < 1e-6
