"""The rule catalogue of policy-rules.md §4: code, finding, severity and the datasets each rule reads.

The SQL of each rule lives in sunshine.engine.comparison.rules; this module is the list that pages, the CLI
and the benchmark enumerate."""

from __future__ import annotations

from dataclasses import dataclass

HIGH, MEDIUM, SIGNAL = "high", "medium", "signal"
SEVERITY_LABELS = {HIGH: "高", MEDIUM: "中", SIGNAL: "风险信号"}

EXACT, HASHED, PROBABILISTIC = "exact", "hashed", "probabilistic"
MATCH_LABELS = {EXACT: "身份证号精确匹配", HASHED: "身份证号哈希匹配", PROBABILISTIC: "概率匹配"}


@dataclass(frozen=True)
class Rule:
    code: str
    title: str                    # the finding, in Chinese
    severity: str
    datasets: tuple[str, ...]     # department datasets the rule reads (empty: registry only)


RULES: dict[str, Rule] = {r.code: r for r in (
    Rule("C-DEAD", "已死亡人员仍在册", HIGH, ("deaths",)),
    Rule("C-PAYROLL", "财政供养人员在册", HIGH, ("public_payroll",)),
    Rule("C-CAR", "家庭成员拥有汽车", MEDIUM, ("vehicles",)),
    Rule("C-BUSINESS", "家庭成员注册或持股企业", MEDIUM, ("businesses",)),
    Rule("C-HOUSE", "家庭成员拥有商品房", MEDIUM, ("real_estate",)),
    Rule("C-DROPOUT", "义务教育阶段适龄儿童失学辍学", HIGH, ("students",)),
    Rule("C-NOMED", "成员未参加基本医疗保险", HIGH, ("medical_insurance",)),
    Rule("C-NOPENSION", "成年成员未参加基本养老保险", MEDIUM, ("pension_insurance",)),
    Rule("C-DIBAO-MISSING", "低保户未纳入建档立卡", MEDIUM, ("dibao",)),
    Rule("C-DIBAO-MISMATCH", "享受低保信息与民政不一致", MEDIUM, ("dibao",)),
    Rule("C-DISABLED-SUBSIDY", "重度残疾人未享受护理补贴", MEDIUM, ("disability",)),
    Rule("C-HOUSING", "危房未改造", HIGH, ("housing_renovation",)),
    Rule("C-DUP", "同一人员重复在册", HIGH, ()),
    Rule("C-ID", "身份证号无效或与出生日期、性别不符", HIGH, ()),
    Rule("C-MEDCOST", "大额医疗自付费用", SIGNAL, ("medical_claims",)),
    Rule("C-DISASTER", "受灾人员", SIGNAL, ("disasters",)),
)}
