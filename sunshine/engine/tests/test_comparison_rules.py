"""Every rule of the comparison catalogue, on DuckDB and on Spark: records that must be flagged and records
that must not, at the boundaries policy-rules.md §4 draws. All cases live in one scenario, run once per
backend (the whole catalogue), so the Spark part stays short."""

from __future__ import annotations

import datetime as dt

import pytest

from sunshine.engine.backend import DuckDBBackend
from sunshine.engine.tests.comparison_builders import (
    OTHER_VILLAGE,
    YEAR,
    Scenario,
    aged,
    by_rule,
    money,
    names,
    run,
)

D = dt.date


def build() -> Scenario:  # noqa: PLR0915 - one case after another, each a few lines
    s = Scenario()
    # C-DEAD: death on the check date counts, the next day does not; inactive members and closed
    # households are not in the registry.
    for name, death, extra in [
        ("死亡甲", D(YEAR, 12, 31), {}), ("死亡乙", D(YEAR + 1, 1, 1), {}),
        ("死亡丙", D(YEAR, 3, 1), {"member_status": "deceased"}),
        ("死亡丁", D(YEAR, 3, 1), {"household_status": "closed"}),
        ("死亡戊", D(YEAR, 3, 1), {"member_status": "moved_out"}),
    ]:
        p = s.person(name, **extra)
        s.add("deaths", id_number=p["id_number"], name=name, death_date=death)
    s.add("deaths", id_number=s.new_id(D(1950, 1, 1)), name="册外死亡", death_date=D(YEAR, 2, 2))

    p = s.person("供养甲")
    s.add("public_payroll", id_number=p["id_number"], name="供养甲", employer="县教育局")

    p = s.person("车主甲")
    s.add("vehicles", id_number=p["id_number"], name="车主甲", vehicle_type="truck", plate="苏C00001")
    s.add("vehicles", id_number=p["id_number"], name="车主甲", vehicle_type="small_car", plate="苏C00002")
    for name, kind in [("车主乙", "motorcycle"), ("车主丙", "farm_vehicle")]:
        p = s.person(name)
        s.add("vehicles", id_number=p["id_number"], name=name, vehicle_type=kind)

    for name, capital in [("企业甲", "100000"), ("企业乙", "99999.99")]:
        p = s.person(name)
        s.add("businesses", id_number=p["id_number"], name=name, company="某某农业有限公司",
              role="legal_representative", registered_capital=money(capital))

    for name, kind in [("房主甲", "commercial"), ("房主乙", "self_built")]:
        p = s.person(name)
        s.add("real_estate", id_number=p["id_number"], name=name, property_kind=kind, location="某县某路1号")

    # C-DROPOUT: ages on 1 September; completed 初中 is exempt.
    s.person("学龄甲", birth=aged(6), education_level=None, covered=False)
    s.person("学龄乙", birth=aged(5) + dt.timedelta(days=1), education_level=None, covered=False)
    p = s.person("学龄丙", birth=aged(15), education_level="primary", covered=False)
    s.add("students", id_number=p["id_number"], name="学龄丙", enrolment_status="dropped_out")
    s.person("学龄丁", birth=aged(16), education_level="primary", covered=False)
    for name, status in [("学龄戊", "enrolled"), ("学龄己", "home_taught")]:
        p = s.person(name, birth=aged(10), education_level="primary", covered=False)
        s.add("students", id_number=p["id_number"], name=name, enrolment_status=status)
    s.person("学龄庚", birth=aged(14), education_level="junior", covered=False)
    p = s.person("学龄辛", birth=aged(12), education_level="primary", covered=False)
    s.add("students", id_number=p["id_number"], name="学龄辛", enrolment_status="suspended")
    p = s.person("学龄壬", birth=aged(12), education_level="primary", covered=False)
    s.add("students", id_number=p["id_number"], name="学龄壬", enrolment_status="enrolled")
    s.add("students", id_number=p["id_number"], name="学龄壬", enrolment_status="dropped_out")
    for p in s.people:
        if p["name"].startswith("学龄"):
            s.add("medical_insurance", id_number=p["id_number"], name=p["name"], year=YEAR,
                  insured_status="insured")
            s.add("pension_insurance", id_number=p["id_number"], name=p["name"], insured_status="insured")

    # C-NOMED
    s.person("医保甲", covered=False)
    p = s.person("医保乙", covered=False)
    s.add("medical_insurance", id_number=p["id_number"], name="医保乙", year=YEAR - 1, insured_status="insured")
    p = s.person("医保丙", covered=False)
    s.add("medical_insurance", id_number=p["id_number"], name="医保丙", year=YEAR, insured_status="stopped")
    for p in s.people[-3:]:
        s.add("pension_insurance", id_number=p["id_number"], name=p["name"], insured_status="insured")
    s.person("医保丁", covered=False, member_status="deceased")

    # C-NOPENSION: from 16 on 1 September, 非在校生 only.
    for name, birth, school, pension in [
        ("养老甲", aged(16), "not_in_school", None), ("养老乙", aged(16) + dt.timedelta(days=1), "not_in_school", None),
        ("养老丙", aged(40), "college", None), ("养老丁", aged(40), "not_in_school", "stopped"),
    ]:
        p = s.person(name, birth=birth, school_status=school, covered=False)
        s.add("medical_insurance", id_number=p["id_number"], name=name, year=YEAR, insured_status="insured")
        if pension:
            s.add("pension_insurance", id_number=p["id_number"], name=name, insured_status=pension)

    # C-DIBAO-MISSING: heads outside the registry with rows active on the check date.
    outside = s.new_id(D(1960, 1, 1))
    s.add("dibao", id_number=outside, name="低保户主甲", head_id_number=outside, aid_type="dibao",
          start_date=D(2019, 3, 1), end_date=D(YEAR, 12, 31), monthly_amount=money(600))
    s.add("dibao", id_number=s.new_id(D(1962, 1, 1), "female"), name="低保配偶甲", head_id_number=outside,
          aid_type="tekun", start_date=D(2018, 1, 1))
    for name, start, end in [("低保户主乙", D(2019, 1, 1), D(YEAR, 12, 30)), ("低保户主丙", D(YEAR + 1, 1, 1), None)]:
        head = s.new_id(D(1961, 1, 1))
        s.add("dibao", id_number=head, name=name, head_id_number=head, aid_type="dibao", start_date=start,
              end_date=end)
    absent_head = s.new_id(D(1955, 1, 1))
    s.add("dibao", id_number=s.new_id(D(1990, 1, 1)), name="低保成员丁", head_id_number=absent_head,
          aid_type="dibao", start_date=D(2019, 1, 1))
    far_head = s.new_id(D(1958, 1, 1), region="320981")
    s.add("dibao", id_number=far_head, name="低保户主戊", head_id_number=far_head, aid_type="dibao",
          start_date=D(2019, 1, 1))
    dead_head = s.person("低保户主己", member_status="deceased")
    s.add("dibao", id_number=dead_head["id_number"], name="低保户主己", head_id_number=dead_head["id_number"],
          aid_type="tekun", start_date=D(2019, 1, 1))

    # C-DIBAO-MISMATCH: 低保 rows (not 特困) active on the check date, on the person's own ID.
    for name, receives, aid, end in [
        ("低保甲", True, "dibao", None), ("低保乙", True, None, None), ("低保丙", False, "dibao", None),
        ("低保丁", False, "tekun", None), ("低保戊", True, "dibao", D(YEAR, 6, 30)), ("低保己", None, "dibao", None),
        ("低保庚", True, "dibao", D(YEAR, 12, 31)),
    ]:
        p = s.person(name, receives_dibao=receives)
        if aid:
            s.add("dibao", id_number=p["id_number"], name=name, head_id_number=p["id_number"], aid_type=aid,
                  start_date=D(2018, 7, 1), end_date=end)

    for name, level, care in [("残疾甲", "level1", False), ("残疾乙", "level2", True), ("残疾丙", "level3", False),
                              ("残疾丁", "level2", None)]:
        p = s.person(name, health="disabled", disability_level=level)
        s.add("disability", id_number=p["id_number"], name=name, disability_level=level, care_subsidy=care,
              disability_type="physical", living_subsidy=True)
    s.add("disability", id_number=s.new_id(D(1980, 1, 1)), name="册外残疾", disability_level="level1",
          care_subsidy=False)

    # C-HOUSING: through the head; one finding per household.
    for name, grade, status, renovated in [
        ("危房甲", "C", "pending", False), ("危房乙", "D", "in_progress", True), ("危房丙", "C", "done", False),
        ("危房丁", "B", "not_needed", False),
    ]:
        p = s.person(name, housing_grade=grade, renovation_status=status)
        if renovated:
            s.add("housing_renovation", id_number=p["id_number"], name=name, year=YEAR, status="in_progress")
    head = s.person("危房戊", housing_grade="D", renovation_status="pending")
    s.person("危房戊子", birth=aged(30), household=(head["household_key"], head["household_no"]),
             housing_grade="D", renovation_status="pending")

    # C-DUP: one ID active in two households; a closed household or a moved-out row does not count.
    for first, second, extra in [("重复甲", "重复乙", {}), ("重复丙", "重复丁", {"household_status": "closed"}),
                                 ("重复戊", "重复己", {"member_status": "moved_out"})]:
        p = s.person(first)
        s.person(second, id_number=p["id_number"], **extra)
    p = s.person("重复庚", village_code=OTHER_VILLAGE)
    s.person("重复辛", id_number=p["id_number"], village_code="320322101001")

    # C-ID: any member row of the year, whatever its status.
    good = s.new_id(D(1980, 2, 29))
    s.person("证号甲", id_number=good[:17] + ("0" if good[17] != "0" else "1"), birth=D(1980, 2, 29))
    s.person("证号乙", birth=D(1980, 3, 1), id_number=s.new_id(D(1980, 3, 2)))
    s.person("证号丙", gender="female", id_number=s.new_id(D(1970, 5, 17), "male"))
    s.person("证号丁", id_number="32032119800101abc")
    s.person("证号戊", id_number="3203211980010100", member_status="deceased")
    s.person("证号己", id_number=_with_check("32032119810230001"), birth=None)
    s.person("证号庚", id_number=None, member_status="moved_out")

    for name, claims in [
        ("医疗甲", [(D(YEAR, 3, 1), "6000"), (D(YEAR, 9, 9), "4000")]), ("医疗乙", [(D(YEAR, 5, 5), "9999.99")]),
        ("医疗丙", [(D(YEAR, 5, 5), "8000"), (D(YEAR + 1, 1, 1), "5000")]), ("医疗丁", [(D(YEAR, 1, 1), "12000")]),
    ]:
        p = s.person(name)
        for day, paid in claims:
            s.add("medical_claims", id_number=p["id_number"], name=name, visit_date=day, self_paid=money(paid),
                  total_cost=money(paid) * 3)

    p = s.person("受灾甲")
    s.add("disasters", id_number=p["id_number"], name="受灾甲", date=D(YEAR, 7, 10), disaster_type="洪涝",
          loss=money(3000))
    p = s.person("受灾乙")
    s.add("disasters", id_number=p["id_number"], name="受灾乙", date=D(YEAR - 1, 12, 31), disaster_type="洪涝")

    # Probabilistic links: rows without an ID count through links; a keyed row never does.
    p = s.person("链接甲")
    row = s.add("deaths", id_number=None, id_raw="3203211970", name="链接甲", death_date=D(YEAR, 4, 1))
    s.link("deaths", row, p, 0.97)
    q = s.person("链接乙")
    row = s.add("deaths", id_number=s.new_id(D(1940, 1, 1)), name="册外乙", death_date=D(YEAR, 4, 1))
    s.link("deaths", row, q, 0.99)
    gone = s.person("链接丙", member_status="moved_out")
    row = s.add("deaths", id_number=None, name="链接丙", death_date=D(YEAR, 4, 1))
    s.link("deaths", row, gone, 0.98)
    p = s.person("链接丁")
    s.add("medical_claims", id_number=p["id_number"], name="链接丁", visit_date=D(YEAR, 2, 1),
          self_paid=money(7000))
    row = s.add("medical_claims", id_number=None, name="链接丁", visit_date=D(YEAR, 3, 1), self_paid=money(3000))
    s.link("medical_claims", row, p, 0.96)
    return s


def _with_check(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return first17 + "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights, strict=True)) % 11]


SCENARIO = build()


@pytest.fixture(scope="module")
def findings(backend):
    return run(backend, SCENARIO)


@pytest.fixture(scope="module")
def rules(findings):
    return by_rule(findings)


def test_dead(rules):
    assert names(rules["C-DEAD"]) == {"死亡甲", "链接甲"}
    dead = next(f for f in rules["C-DEAD"] if f["name"] == "死亡甲")
    assert dead["explanation"] == "户籍死亡人员数据显示成员死亡甲已于2020-12-31死亡,仍为在册成员"
    assert dead["match"] == "exact" and dead["probability"] is None and dead["dataset"] == "deaths"
    assert dead["household_no"] and dead["member_key"] and dead["village_code"] == "320321101001"


def test_payroll_car_business_house(rules):
    assert [f["explanation"] for f in rules["C-PAYROLL"]] == [
        "财政供养人员数据显示成员供养甲为财政供养人员(单位:县教育局)"]
    car = rules["C-CAR"]
    assert names(car) == {"车主甲"} and car[0]["source_rows"] == [2, 3]
    assert car[0]["explanation"] == "车管机动车数据显示成员车主甲名下登记有小型汽车1辆、货车1辆"
    assert names(rules["C-BUSINESS"]) == {"企业甲"}
    assert rules["C-BUSINESS"][0]["explanation"] == (
        "市场监管企业登记数据显示成员企业甲名下登记有1家注册资本不低于100000元的企业(某某农业有限公司,法定代表人),"
        "注册资本100000.00元")
    assert names(rules["C-HOUSE"]) == {"房主甲"}


def test_dropout(rules):
    found = {f["name"]: f for f in rules["C-DROPOUT"]}
    assert set(found) == {"学龄甲", "学龄丙", "学龄辛", "学龄壬"}
    assert found["学龄甲"]["explanation"] == "成员学龄甲(6岁)不在学籍在校生名单中,且无送教上门记录"
    assert found["学龄甲"]["source_rows"] == [] and found["学龄甲"]["match"] == "exact"
    assert found["学龄丙"]["explanation"] == "成员学龄丙(15岁)学籍状态为辍学"
    assert found["学龄辛"]["explanation"] == "成员学龄辛(12岁)学籍状态为休学,不在读且无送教上门记录"
    assert len(found["学龄壬"]["source_rows"]) == 1


def test_no_insurance(rules):
    assert names(rules["C-NOMED"]) == {"医保甲", "医保乙", "医保丙"}
    assert rules["C-NOMED"][0]["explanation"] == "医保参保数据中无成员医保甲2020年度的参保记录"
    assert names(rules["C-NOPENSION"]) == {"养老甲", "养老丁"}
    assert "成员养老甲(16岁,非在校生)在养老参保数据中无参保记录" in [f["explanation"] for f in rules["C-NOPENSION"]]


def test_dibao_missing(rules):
    found = {f["name"]: f for f in rules["C-DIBAO-MISSING"]}
    assert set(found) == {"低保户主甲", "低保成员丁", "低保户主戊", "低保户主己"}
    head = found["低保户主甲"]
    assert head["household_key"] is None and head["household_no"] is None and head["village_code"] is None
    assert head["source_rows"] == [2, 3] and head["match"] == "exact" and head["id_number"]
    assert head["explanation"] == ("民政低保特困数据显示户主低保户主甲家(2人)在2020年12月31日享受低保、特困"
                                   "(起始日期2018-01-01),该户主不是建档立卡在册成员")
    assert found["低保成员丁"]["explanation"].startswith("民政低保特困数据显示低保成员丁所在家庭(1人)")


def test_dibao_mismatch(rules):
    found = {f["name"]: f for f in rules["C-DIBAO-MISMATCH"]}
    assert set(found) == {"低保乙", "低保丙", "低保戊"}
    assert found["低保乙"]["source_rows"] == [] and found["低保乙"]["match"] == "exact"
    assert found["低保乙"]["explanation"] == (
        "建档立卡登记成员低保乙享受低保,但民政低保特困数据中无其在2020年12月31日有效的低保记录")
    assert found["低保丙"]["explanation"] == (
        "建档立卡登记成员低保丙未享受低保,但民政低保特困数据显示其自2018-07-01起享受低保")
    assert len(found["低保丙"]["source_rows"]) == 1


def test_disabled_housing(rules):
    assert [f["explanation"] for f in rules["C-DISABLED-SUBSIDY"]] == [
        "残联持证残疾人数据显示成员残疾甲为一级肢体残疾人,未享受护理补贴"]
    found = {f["name"]: f for f in rules["C-HOUSING"]}
    assert set(found) == {"危房甲", "危房戊"}
    assert found["危房甲"]["explanation"] == (
        "户主危房甲家住房安全等级为C级,危房改造状态为未改造,住建危房改造数据中无该户主的改造记录")


def test_duplicates_and_ids(rules):
    dup = rules["C-DUP"]
    assert names(dup) == {"重复甲", "重复乙", "重复庚", "重复辛"}
    assert all(f["dataset"] is None and f["match"] is None and f["source_rows"] == [] for f in dup)
    first = next(f for f in dup if f["name"] == "重复甲")
    assert first["explanation"].startswith("成员重复甲的身份证号在2020年度同时在册于2户(户编号:H")
    found = {f["name"]: f["explanation"] for f in rules["C-ID"]}
    assert set(found) == {"证号甲", "证号乙", "证号丙", "证号丁", "证号戊", "证号己", "证号庚"}
    assert found["证号甲"] == "成员证号甲:身份证号校验位错误"
    assert found["证号乙"] == "成员证号乙:登记的出生日期1980-03-01与身份证号不符"
    assert found["证号丙"] == "成员证号丙:登记的性别女与身份证号不符"
    assert found["证号丁"] == "成员证号丁:身份证号不是18位(前17位为数字,末位为数字或X)"
    assert found["证号己"] == "成员证号己:身份证号中的出生日期无效"
    assert found["证号庚"] == "成员证号庚:身份证号为空"


def test_signals(rules):
    found = {f["name"]: f for f in rules["C-MEDCOST"]}
    assert set(found) == {"医疗甲", "医疗丁", "链接丁"}
    assert found["医疗甲"]["explanation"] == (
        "医保结算数据显示成员医疗甲2020年就诊2次,个人自付合计10000.00元,达到预警线10000元")
    assert found["医疗甲"]["severity"] == "signal"
    assert [f["explanation"] for f in rules["C-DISASTER"]] == [
        "应急受灾人员数据显示成员受灾甲于2020-07-10受灾(洪涝),损失金额合计3000.00元"]


def test_probabilistic_links(rules):
    linked = next(f for f in rules["C-DEAD"] if f["name"] == "链接甲")
    assert linked["match"] == "probabilistic" and linked["probability"] == pytest.approx(0.97)
    mixed = next(f for f in rules["C-MEDCOST"] if f["name"] == "链接丁")
    assert mixed["match"] == "probabilistic" and mixed["probability"] == pytest.approx(0.96)
    assert len(mixed["source_rows"]) == 2


def test_no_id_number_in_explanations(findings):
    ids = {p["id_number"] for p in SCENARIO.people if p["id_number"]}
    assert not any(i in text for text in findings.column("explanation").to_pylist() for i in ids)


def test_fixed_order(findings):
    codes = findings.column("rule").to_pylist()
    from sunshine.engine.comparison.catalogue import RULES

    order = list(RULES)
    assert codes == sorted(codes, key=order.index)
    for code in set(codes):
        rows = [f for f in findings.to_pylist() if f["rule"] == code]
        keys = [(f["household_no"] is None, f["household_no"] or "", f["id_number"] or "") for f in rows]
        assert keys == sorted(keys)


def test_same_findings_on_both_engines(findings):
    """Spark gives DuckDB's table exactly: rows, order, explanation text, types."""
    with DuckDBBackend(threads=1) as duck:
        assert findings.equals(run(duck, SCENARIO))


def test_tables_round_trip(backend, tmp_path):
    """Dates, decimals and nulls survive Arrow (and Parquet) in and out of the backend."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"d": pa.array([D(2020, 2, 29), None], pa.date32()),
                      "m": pa.array([money("12345678.90"), None], pa.decimal128(14, 2)),
                      "n": pa.array([1, None], pa.int64())})
    pq.write_table(table, tmp_path / "t.parquet")
    backend.register("round_trip", table)
    backend.register("round_trip_file", tmp_path / "t.parquet")
    sql = ("SELECT d, m, n, CAST(d AS VARCHAR) AS dt, CAST(CAST(m AS DECIMAL(18, 2)) AS VARCHAR) AS mt "
           "FROM round_trip UNION ALL SELECT d, m, n, NULL, NULL FROM round_trip_file ORDER BY n NULLS LAST, dt")
    back = backend.query(backend.dialect.finish(sql)).to_pylist()
    assert back[0] == {"d": D(2020, 2, 29), "m": money("12345678.90"), "n": 1, "dt": "2020-02-29",
                       "mt": "12345678.90"}
    assert back[1]["d"] == D(2020, 2, 29) and back[1]["m"] == money("12345678.90")
    assert back[2] == back[3] == {"d": None, "m": None, "n": None, "dt": None, "mt": None}
