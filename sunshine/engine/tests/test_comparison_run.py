"""run_comparison on DuckDB: hashed loads, division scope, skipped rules, a missing links table, Parquet
input, determinism; and that the engine imports no Django. The rule-by-rule cases are in
test_comparison_rules (on both engines)."""

from __future__ import annotations

import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sunshine.engine.backend import DuckDBBackend
from sunshine.engine.comparison.catalogue import RULES
from sunshine.engine.comparison.rules import rule_sql
from sunshine.engine.comparison.run import run_comparison
from sunshine.engine.comparison.snapshot import FINDINGS
from sunshine.engine.tests.comparison_builders import PARAMS, YEAR, by_rule, id_hash, names, run
from sunshine.engine.tests.test_comparison_rules import SCENARIO


@pytest.fixture(scope="module")
def plain():
    with DuckDBBackend(threads=1) as backend:
        return run(backend, SCENARIO)


def _as_hashed(row: dict) -> dict:
    """What a finding over hashed loads should be: the same, matched on the hash."""
    out = dict(row)
    if out["match"] == "exact":
        out["match"] = "hashed"
    if out["rule"] == "C-DIBAO-MISSING":
        out["id_hash"], out["id_number"] = id_hash(out["id_number"]), None
    return out


def _key(row: dict) -> tuple:
    return tuple(str(row[f.name]) for f in FINDINGS)


def test_hashed_loads_give_the_same_findings(plain):
    with DuckDBBackend(threads=1) as backend:
        hashed = run(backend, SCENARIO, hashed=True)
    assert hashed.schema == FINDINGS
    expected = sorted((_as_hashed(r) for r in plain.to_pylist()), key=_key)
    assert sorted(hashed.to_pylist(), key=_key) == expected
    assert {r["match"] for r in hashed.to_pylist()} == {"hashed", "probabilistic", None}


def test_rerun_is_identical_and_typed(plain):
    assert plain.schema == FINDINGS
    with DuckDBBackend(threads=2) as backend:
        assert run(backend, SCENARIO).equals(plain)


def test_division_prefix_keeps_members_and_dibao_heads_of_the_division():
    with DuckDBBackend(threads=1) as backend:
        village = by_rule(run(backend, SCENARIO, division_prefix="320321101001"))
        county = by_rule(run(backend, SCENARIO, division_prefix="320321"))
        province = by_rule(run(backend, SCENARIO, division_prefix="32"))
    # Duplicates are found across the whole registry and reported where each row lives.
    assert names(village["C-DUP"]) == {"重复甲", "重复乙"}
    assert names(county["C-DUP"]) == {"重复甲", "重复乙", "重复庚"}
    assert names(province["C-DUP"]) == {"重复甲", "重复乙", "重复庚", "重复辛"}
    assert "低保户主戊" not in names(county["C-DIBAO-MISSING"])  # head's ID from county 320981
    assert "低保户主戊" not in names(village["C-DIBAO-MISSING"])
    assert "低保户主戊" in names(province["C-DIBAO-MISSING"])
    assert "低保户主甲" in names(village["C-DIBAO-MISSING"])


def test_hashed_dibao_heads_are_scoped_by_division_code():
    with DuckDBBackend(threads=1) as backend:
        tables = SCENARIO.tables(hashed=True)
        dibao = tables["ds_dibao"]
        codes = ["320981101001" if n == "低保户主戊" else "320321101001" for n in dibao.column("name").to_pylist()]
        tables["ds_dibao"] = dibao.set_column(dibao.schema.get_field_index("division_code"), "division_code",
                                              pa.array(codes))
        backend.register_all(tables)
        found = run_comparison(backend, year=YEAR, params=PARAMS, key_kinds=SCENARIO.key_kinds(hashed=True),
                               rules=["C-DIBAO-MISSING"], division_prefix="320321")
    assert names(found.to_pylist()) == {"低保户主甲", "低保成员丁", "低保户主己"}


def test_rules_without_their_dataset_are_skipped_and_links_may_be_absent():
    tables = SCENARIO.tables()
    del tables["links"]
    seen = []
    with DuckDBBackend(threads=1) as backend:
        backend.register_all({k: v for k, v in tables.items() if k in ("people", "ds_deaths")})
        found = run_comparison(backend, year=YEAR, params=PARAMS, key_kinds={"deaths": "exact"},
                               on_rule=lambda code, rows, seconds: seen.append((code, rows)))
    assert [code for code, _ in seen] == ["C-DEAD", "C-DUP", "C-ID"]
    assert names(by_rule(found)["C-DEAD"]) == {"死亡甲"}  # the linked row needs links
    assert sum(rows for _, rows in seen) == found.num_rows


def test_parquet_loads(tmp_path, plain):
    paths = {}
    for name, table in SCENARIO.tables().items():
        paths[name] = tmp_path / f"{name}.parquet"
        pq.write_table(table, paths[name])
    with DuckDBBackend(threads=1) as backend:
        backend.register_all(paths)
        found = run_comparison(backend, year=YEAR, params=PARAMS, key_kinds=SCENARIO.key_kinds())
    assert SCENARIO.resolve(found).equals(plain)


def test_thresholds_come_from_the_parameters():
    with DuckDBBackend(threads=1) as backend:
        found = by_rule(run(backend, SCENARIO, rules=["C-BUSINESS", "C-MEDCOST"],
                            params=PARAMS | {"business_capital_min": 99999.99, "medical_cost_signal": "12000"}))
    assert names(found["C-BUSINESS"]) == {"企业甲", "企业乙"}
    assert names(found["C-MEDCOST"]) == {"医疗丁"}
    assert found["C-MEDCOST"][0]["explanation"].endswith("达到预警线12000元")


def test_bad_input_is_refused():
    with pytest.raises(KeyError, match="deaths"):
        rule_sql("C-DEAD", year=YEAR, params=PARAMS, key_kinds={})
    with pytest.raises(KeyError, match="medical_cost_signal"):
        rule_sql("C-MEDCOST", year=YEAR, params={k: v for k, v in PARAMS.items() if k != "medical_cost_signal"},
                 key_kinds={"medical_claims": "exact"})
    with pytest.raises(ValueError, match="digits"):
        rule_sql("C-ID", year=YEAR, params=PARAMS, key_kinds={}, division_prefix="32' OR '1")
    with pytest.raises(ValueError, match="key kind"):
        rule_sql("C-DEAD", year=YEAR, params=PARAMS, key_kinds={"deaths": "plain"})
    with pytest.raises(KeyError, match="C-NOPE"):
        run_comparison(DuckDBBackend(), year=YEAR, params=PARAMS, key_kinds={}, rules=["C-NOPE"])


def test_every_rule_has_sql_for_both_dialects():
    from sunshine.engine.dialect import SPARK

    kinds = dict.fromkeys({d for r in RULES.values() for d in r.datasets}, "exact")
    for code in RULES:
        duck = rule_sql(code, year=YEAR, params=PARAMS, key_kinds=kinds)
        spark = rule_sql(code, year=YEAR, params=PARAMS, key_kinds=kinds, dialect=SPARK)
        assert "ORDER BY" in duck and "NULLS LAST" in spark and "list_sort" not in spark.lower()


def test_engine_imports_no_django():
    code = ("import sys; import sunshine.engine.comparison.run, sunshine.engine.comparison.rules, "
            "sunshine.engine.spark; bad = [m for m in sys.modules if m == 'django' or m.startswith('django.')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)  # noqa: S603
    assert done.returncode == 0, done.stdout + done.stderr
