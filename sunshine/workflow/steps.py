"""Which role signs each step, and the steps of each case type (data in the policy standard).

Village steps (the household's application or confirmation, the cadre's confirmation, the democratic appraisal,
the village committee and the public notice) are recorded by the village clerk: for the household's and the
cadre's confirmation the clerk attaches the scanned signature page. The township reviewer signs the township
review; the county manager signs the county approval and the announcement. An administrator may act on any
step (to unblock a case when an office has no account yet); the action still records who signed."""

from __future__ import annotations

from sunshine.core.choices import Role
from sunshine.policy.models import PolicyStandard
from sunshine.policy.procedures import DEFAULT_PROCEDURES, STEPS, check_procedures
from sunshine.workflow.choices import CaseType, Step

STEP_ROLE: dict[str, Role] = {
    Step.HOUSEHOLD: Role.VILLAGE_CLERK,
    Step.CADRE: Role.VILLAGE_CLERK,
    Step.APPRAISAL: Role.VILLAGE_CLERK,
    Step.VILLAGE_COMMITTEE: Role.VILLAGE_CLERK,
    Step.VILLAGE_NOTICE: Role.VILLAGE_CLERK,
    Step.TOWNSHIP_REVIEW: Role.TOWNSHIP_REVIEWER,
    Step.COUNTY_APPROVAL: Role.COUNTY_MANAGER,
    Step.ANNOUNCEMENT: Role.COUNTY_MANAGER,
}
# Steps whose approval needs the scanned signature page in a paper procedure; the pages ask for it there.
SIGNATURE_STEPS = frozenset({Step.HOUSEHOLD, Step.CADRE})
# The only step at which a case may be refused outright (不予批准); elsewhere a rejection returns it.
REFUSE_STEP = Step.COUNTY_APPROVAL
# Where an upheld objection sends a case back to: the village appraises the household again.
REAPPRAISAL_STEP = Step.APPRAISAL

assert set(STEPS) == set(Step.values), "sunshine.policy.procedures.STEPS and workflow Step disagree"
assert set(DEFAULT_PROCEDURES) == set(CaseType.values)


def role_for(step: str) -> Role:
    return STEP_ROLE[Step(step)]


def steps_for(case_type: str, standard: PolicyStandard | None) -> list[str]:
    """The steps a new case of this type follows: the standard's procedure when it has a valid one, else the
    defaults of sunshine.policy.procedures."""
    procedures = getattr(standard, "procedures", None) or {}
    if procedures and not check_procedures(procedures):
        return list(procedures[CaseType(case_type).value])
    return list(DEFAULT_PROCEDURES[CaseType(case_type).value])


def step_label(step: str | None) -> str:
    if step is None:
        return ""
    try:
        return str(Step(step).label)
    except ValueError:
        return step
