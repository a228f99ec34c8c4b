"""The services of the identification procedure (what pages, the API and the CLI call):

- cases: ``open_case``, ``advance``, ``withdraw``, ``next_role``, ``may_act``, ``may_handle_objections``,
  ``awaiting`` (the inbox);
- objections: ``submit_objection`` (public), ``handle_objection``, ``in_notice``;
- guards: ``eligibility`` (exit cases), ``findings_for`` (entry cases);
- the annual adjustment: ``open_adjustment``, ``adjustment_progress``, ``close_adjustment``.

Errors: PermissionDenied for a role that may not act (403), Http404 for a case outside the actor's division,
ValidationError for a business rule (StepConflict, its subclass, for a step that is not the current one)."""

from sunshine.workflow.adjustment import adjustment_progress, close_adjustment, open_adjustment
from sunshine.workflow.guards import Eligibility, approval_refusal, eligibility, findings_for
from sunshine.workflow.services.cases import (
    advance,
    awaiting,
    may_act,
    may_handle_objections,
    next_role,
    open_case,
    withdraw,
)
from sunshine.workflow.services.common import NOT_FOUND, StepConflict, today
from sunshine.workflow.services.objections import handle_objection, in_notice, submit_objection

__all__ = [
    "NOT_FOUND", "Eligibility", "StepConflict", "adjustment_progress", "advance", "awaiting", "close_adjustment",
    "approval_refusal", "eligibility", "findings_for", "handle_objection", "in_notice", "may_act",
    "may_handle_objections",
    "next_role", "open_adjustment", "open_case", "submit_objection", "today", "withdraw",
]
