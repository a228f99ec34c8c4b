"""The rule catalogue of policy-rules.md §4: code, finding, severity and the datasets each rule reads.

The SQL of each rule lives in sunshine.engine.comparison.rules; this module is the list that pages, the CLI
and the benchmark enumerate.

``incremental`` says how a run that only a new version of one dataset separates from an earlier run may
recompute the rule (sunshine.engine.comparison.incremental):

by_key  the rule's findings about one key depend only on the registry row(s) of that key and the dataset rows
        that belong to it, so only the keys that changed rows touch are recomputed. ``key`` names the key:
        ``member`` — one finding per registry member, from the rows whose id_hash is the member's or that
        ``links`` ties to the member (every rule built on base.resolved: grouped per member_key, or a member
        without such a row); ``head`` — C-DIBAO-MISSING, one finding per 户主身份证号哈希, from the 低保 rows of
        that head and a lookup of the head in the whole registry (which an incremental run does not change).
full    the finding about one person depends on other people's rows: C-DUP counts one ID hash across
        households. It reads no dataset, so a dataset change carries it forward; a registry change makes the
        whole run full anyway.
Probabilistic linkage is not a rule: its output, ``links``, is an input, and an incremental run compares the
links of both runs and treats every member whose links changed as touched."""

from __future__ import annotations

from dataclasses import dataclass

HIGH, MEDIUM, SIGNAL = "high", "medium", "signal"
SEVERITY_LABELS = {HIGH: "高", MEDIUM: "中", SIGNAL: "风险信号"}

EXACT, HASHED, PROBABILISTIC = "exact", "hashed", "probabilistic"
MATCH_LABELS = {EXACT: "身份证号精确匹配", HASHED: "身份证号哈希匹配", PROBABILISTIC: "概率匹配"}

BY_KEY, FULL = "by_key", "full"      # Rule.incremental
MEMBER, HEAD = "member", "head"      # Rule.key of a by_key rule


@dataclass(frozen=True)
class Rule:
    code: str
    title: str                    # the finding, in Chinese
    severity: str
    datasets: tuple[str, ...]     # department datasets the rule reads (empty: registry only)
    incremental: str = BY_KEY     # how an incremental run recomputes it (module docstring)
    key: str = MEMBER             # what a by_key rule's findings are keyed by


RULES: dict[str, Rule] = {r.code: r for r in (
    Rule("C-DEAD", "已死亡人员仍在册", HIGH, ("deaths",)),
    Rule("C-PAYROLL", "财政供养人员在册", HIGH, ("public_payroll",)),
    Rule("C-CAR", "家庭成员拥有汽车", MEDIUM, ("vehicles",)),
    Rule("C-BUSINESS", "家庭成员注册或持股企业", MEDIUM, ("businesses",)),
    Rule("C-HOUSE", "家庭成员拥有商品房", MEDIUM, ("real_estate",)),
    Rule("C-DROPOUT", "义务教育阶段适龄儿童失学辍学", HIGH, ("students",)),
    Rule("C-NOMED", "成员未参加基本医疗保险", HIGH, ("medical_insurance",)),
    Rule("C-NOPENSION", "成年成员未参加基本养老保险", MEDIUM, ("pension_insurance",)),
    Rule("C-DIBAO-MISSING", "低保户未纳入建档立卡", MEDIUM, ("dibao",), key=HEAD),
    Rule("C-DIBAO-MISMATCH", "享受低保信息与民政不一致", MEDIUM, ("dibao",)),
    Rule("C-DISABLED-SUBSIDY", "重度残疾人未享受护理补贴", MEDIUM, ("disability",)),
    Rule("C-HOUSING", "危房未改造", HIGH, ("housing_renovation",)),
    Rule("C-DUP", "同一人员重复在册", HIGH, (), incremental=FULL),
    Rule("C-ID", "身份证号无效或与出生日期、性别不符", HIGH, ()),
    Rule("C-MEDCOST", "大额医疗自付费用", SIGNAL, ("medical_claims",)),
    Rule("C-DISASTER", "受灾人员", SIGNAL, ("disasters",)),
)}
