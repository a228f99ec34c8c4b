"""The steps of the identification procedure (识别退出程序) per case type, as a policy standard stores them in
its ``procedures`` JSON: case type → list of step codes. Plain data, so that a province or county may set its
own procedure in a new standard version; sunshine.workflow.steps says which role signs each step.

Defaults (seed §一(三), §八(一), §八(四)):
- entry (纳入), exit (标注脱贫) and return (返贫): household → cadre → appraisal → village_committee →
  village_notice → township_review → county_approval → announcement;
- change (自然变更, a birth, death, marriage or move): household → village_committee → township_review;
- closure (销户): village_committee → village_notice → township_review → county_approval."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CASE_TYPES = ("entry", "exit", "return", "change", "closure")
STEPS = ("household", "cadre", "appraisal", "village_committee", "village_notice", "township_review",
         "county_approval", "announcement")
FULL = ["household", "cadre", "appraisal", "village_committee", "village_notice", "township_review",
        "county_approval", "announcement"]
DEFAULT_PROCEDURES: dict[str, list[str]] = {
    "entry": FULL,
    "exit": FULL,
    "return": FULL,
    "change": ["household", "village_committee", "township_review"],
    "closure": ["village_committee", "village_notice", "township_review", "county_approval"],
}


def default_procedures() -> dict[str, list[str]]:
    """A fresh copy (the model field's default)."""
    return {k: list(v) for k, v in DEFAULT_PROCEDURES.items()}


def check_procedures(data: Any) -> dict[str, str]:
    """Errors (case type → Chinese message) of a procedures mapping; empty when valid.

    Every case type needs a non-empty list of known, distinct steps, in the order of STEPS (a procedure may
    leave steps out, never reorder them); a public notice needs a step before it; a procedure that ends in
    county approval or an announcement must pass the township review first."""
    if not isinstance(data, Mapping):
        return {"procedures": "应为“案件类型 → 步骤列表”的对象"}
    errors: dict[str, str] = {}
    for name in sorted(set(data) - set(CASE_TYPES)):
        errors[name] = "未知的案件类型"
    for case_type in CASE_TYPES:
        steps = data.get(case_type)
        if not isinstance(steps, list) or not steps:
            errors[case_type] = "应为非空的步骤列表"
            continue
        unknown = [s for s in steps if s not in STEPS]
        if unknown:
            errors[case_type] = f"未知的步骤: {', '.join(map(str, unknown))}"
        elif len(set(steps)) != len(steps):
            errors[case_type] = "步骤不能重复"
        elif [STEPS.index(s) for s in steps] != sorted(STEPS.index(s) for s in steps):
            errors[case_type] = "步骤顺序不能颠倒"
        elif steps[0] == "village_notice":
            errors[case_type] = "村级公示之前应有评议或确认步骤"
        elif ({"county_approval", "announcement"} & set(steps)) and "township_review" not in steps:
            errors[case_type] = "县级审定之前须经乡镇审核"
    return errors
