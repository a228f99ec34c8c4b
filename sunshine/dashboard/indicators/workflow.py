"""识别退出程序: the cases of the year (sunshine.workflow) by type, and the open ones by the step they wait at."""
# ruff: noqa: S608 - only table names (from the models) and fixed SQL pieces are formatted in; values are parameters

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from sunshine.dashboard.choices import Section
from sunshine.dashboard.indicators import register
from sunshine.dashboard.indicators.base import Indicator, Query, labels, statement
from sunshine.workflow.choices import OPEN_CASE_STATUSES, CaseType, Step
from sunshine.workflow.models import Case

SOURCES = frozenset({"workflow"})


def cases_by_type(year: int) -> Query:
    return (
        statement("SELECT c.division_id, c.case_type, COUNT(*), NULL FROM {case} c WHERE c.year = %s"
                  " GROUP BY c.division_id, c.case_type", case=Case),
        [year],
    )


def cases_by_step(year: int) -> Query:
    """Open cases (办理中, 异议待处理) by the step now awaited (``awaiting_step``, kept by the services)."""
    marks = ", ".join(["%s"] * len(OPEN_CASE_STATUSES))
    return (
        statement(f"SELECT c.division_id, c.awaiting_step, COUNT(*), NULL FROM {{case}} c WHERE c.year = %s"
                  f" AND c.status IN ({marks}) GROUP BY c.division_id, c.awaiting_step", case=Case),
        [year, *OPEN_CASE_STATUSES],
    )


register(Indicator(
    code="cases_by_type", name=_("识别退出案件数(按类型)"), unit=_("件"), section=Section.WORKFLOW,
    query=cases_by_type, keys=labels(CaseType), sources=SOURCES,
    description=_("当年发起的纳入、标注脱贫、返贫、自然变更和销户案件"),
))
register(Indicator(
    code="cases_by_step", name=_("办理中案件数(按待办步骤)"), unit=_("件"), section=Section.WORKFLOW,
    query=cases_by_step, keys=labels(Step), sources=SOURCES,
    description=_("尚未办结的案件按当前待办步骤分列"),
))
