"""The R-* catalogue of services.md §5: code, finding, severity, what a finding is about and the tables each
rule reads. The SQL lives in sunshine.engine.assistance.rules."""

from __future__ import annotations

from dataclasses import dataclass

from sunshine.engine.comparison.catalogue import MEDIUM, SIGNAL

SUBJECT_LABELS = {"household": "农户", "cadre": "帮扶干部", "village": "村"}

__all__ = ["RULES", "SUBJECT_LABELS", "Rule"]


@dataclass(frozen=True)
class Rule:
    code: str
    title: str                  # the finding, in Chinese
    severity: str
    subject: str                # household · cadre · village
    tables: tuple[str, ...]     # the input tables the rule reads (an absent one is read as empty)
    when: str = ""              # services.md §5's condition, for the reference docs


RULES: dict[str, Rule] = {r.code: r for r in (
    Rule("R-NOCADRE", "农户无帮扶责任人", MEDIUM, "household", ("households", "pairings"),
         "已建档农户(未脱贫、返贫,或脱贫年度 ≥ Y−2 的已脱贫户)在核查日 T 没有覆盖 T 的结对"),
    Rule("R-OVERLOAD", "帮扶干部结对户数过多", SIGNAL, "cadre", ("cadres", "pairings"),
         "核查日 T 结对的农户超过 assistance_max_households(10)户"),
    Rule("R-NOVISIT", "农户未按期走访", MEDIUM, "household", ("households", "visits"),
         "R-NOCADRE 所指的已建档农户,最近一次走访早于 T 前 assistance_visit_days(90)天,或从未走访"),
    Rule("R-NOTEAM", "经济薄弱村无驻村工作队", MEDIUM, "village", ("villages", "work_teams"),
         "省定经济薄弱村在 T 没有有第一书记的驻村工作队"),
    Rule("R-NOMEASURE", "未达标农户无帮扶措施", MEDIUM, "household", ("households", "assessments", "measures"),
         "农户在 Y 年度最新一次正式评估未达标,且 Y 年度没有登记帮扶措施"),
)}
