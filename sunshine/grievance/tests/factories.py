"""Grievances for tests: registered through the service (as the county office would) and, when asked, walked
along the states to the one wanted."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sunshine.grievance import services
from sunshine.grievance.choices import State
from sunshine.grievance.models import Grievance
from sunshine.testing import factories as f

REPORTER_NAME = "檀鸿渐"
REPORTER_PHONE = "13912345678"


def register(actor: Any, *, division: str = f.VILLAGE_A, on: dt.date | None = None, anonymous: bool = False,
             confidential: bool = True, **extra: Any) -> tuple[Grievance, str]:
    fields = {"channel": "hotline", "category": "funds", "subject": "补贴没有发到户",
              "content": "反映2020年的产业奖补资金没有发放。", **extra}
    return services.register(actor=actor, division_code=division, reporter_name=REPORTER_NAME,
                             reporter_phone=REPORTER_PHONE, anonymous=anonymous, confidential=confidential,
                             on=on, **fields)


def walk(grievance: Grievance, users: dict[str, Any], to: str, *, assign_to: str = f.VILLAGE_A,
         on: dt.date | None = None) -> Grievance:
    """Take the grievance along the usual path to state ``to`` (the county office and the assigned village)."""
    county, clerk = users["county"], users["clerk"]
    path = [State.ACCEPTED, State.ASSIGNED, State.INVESTIGATING, State.CONCLUDED, State.FOLLOWED_UP, State.ARCHIVED]
    g = grievance
    handler = clerk if assign_to == f.VILLAGE_A else county
    for state in path[:path.index(State(to)) + 1]:
        if state == State.ACCEPTED:
            g = services.accept(actor=county, grievance=g, on=on)
        elif state == State.ASSIGNED:
            g = services.assign(actor=county, grievance=g, division_code=assign_to, on=on)
        elif state == State.INVESTIGATING:
            g = services.investigate(actor=handler, grievance=g, note="已入户了解")
        elif state == State.CONCLUDED:
            g = services.conclude(actor=handler, grievance=g, outcome="partly_true", findings="部分资金延迟发放",
                                  measures="责令限期补发", on=on)
        elif state == State.FOLLOWED_UP:
            g = services.follow_up(actor=users["supervisor"], grievance=g, satisfaction="satisfied")
        elif state == State.ARCHIVED:
            g = services.archive(actor=county, grievance=g)
    return g
