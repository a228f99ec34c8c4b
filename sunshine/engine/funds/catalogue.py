"""The rule catalogue of funds.md §3–4: code, finding, severity, what a finding is about and the tables each
rule reads.

The SQL of each rule lives in sunshine.engine.funds.rules; this module is the list that pages, the CLI and the
benchmark enumerate. The micro-credit rules of funds.md §5 (L-*, subject ``loan``) read ``loans`` and
``loan_repayments``; their SQL is sunshine.engine.funds.rules.loans."""

from __future__ import annotations

from dataclasses import dataclass

from sunshine.engine.comparison.catalogue import HIGH, MEDIUM, SIGNAL

# L-OVERDUE's two grades are funds.md §5's own words: 'risk' (1–90 days overdue) and 'warning' (more).
RISK, WARNING = "risk", "warning"
SEVERITY_LABELS = {HIGH: "高", MEDIUM: "中", SIGNAL: "需核查", WARNING: "预警", RISK: "风险"}
SUBJECT_LABELS = {"fund": "资金", "project": "项目", "payment": "到户资金", "loan": "小额信贷"}

__all__ = ["HIGH", "MEDIUM", "RISK", "RULES", "SEVERITY_LABELS", "SIGNAL", "SUBJECT_LABELS", "WARNING", "Rule"]


@dataclass(frozen=True)
class Rule:
    code: str
    title: str                  # the finding, in Chinese
    severity: str
    subject: str                # fund · project · payment · loan
    tables: tuple[str, ...]     # the input tables the rule reads (an absent one is read as empty)


RULES: dict[str, Rule] = {r.code: r for r in (
    Rule("F-DELAY", "资金滞留", MEDIUM, "fund", ("funds", "allocations")),
    Rule("F-IDLE", "项目资金闲置", MEDIUM, "project", ("projects", "allocations", "expenditures", "payments")),
    Rule("F-INELIGIBLE", "向不符合条件人员发放", HIGH, "payment", ("payments", "members", "deaths")),
    Rule("F-DUP", "重复发放", HIGH, "payment", ("payments", "members")),
    Rule("F-OVER", "超标准发放", HIGH, "payment", ("payments", "members", "standards")),
    Rule("F-CADRE", "向村干部家庭发放(优亲厚友)", SIGNAL, "payment", ("payments", "members", "village_cadres")),
    Rule("F-OVERSPEND", "项目支出超预算", MEDIUM, "project", ("projects", "expenditures", "payments")),
    Rule("P-OVERDUE", "项目逾期", MEDIUM, "project", ("projects",)),
    Rule("P-NOANNOUNCE", "未按规定公告", MEDIUM, "project",
         ("projects", "announcements", "expenditures", "payments")),
    Rule("P-NOBENEFIT", "未带动建档立卡户", MEDIUM, "project", ("projects", "project_beneficiaries", "members")),
    Rule("L-LIMIT", "贷款超出政策规定", MEDIUM, "loan", ("loans", "members", "household_years")),
    Rule("L-INELIGIBLE", "借款人不符合贷款条件", HIGH, "loan", ("loans", "members", "household_years")),
    # funds.md §5's 'warning' (overdue more than loan_overdue_warning_days, 90) is HIGH; its 'risk' (1–90 days)
    # is MEDIUM on the finding's row: the catalogue names the worst severity the rule gives.
    Rule("L-OVERDUE", "贷款逾期", WARNING, "loan", ("loans", "loan_repayments", "members", "household_years")),
)}
