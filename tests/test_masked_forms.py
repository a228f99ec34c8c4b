"""Masked roles (village clerk, township reviewer, provincial analyst) submit every form they are shown and
read every page, every case payload type and every free text: no full ID number, phone number or birth date
ever reaches them — not in the first rendering, not in a form re-rendered with errors, not in what typed text
(an objection, a note) carries. Pages with personal data are never stored by a browser or proxy cache."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client

from sunshine.assessment.services import run_assessment
from sunshine.comparison.tests import factories as cf
from sunshine.monitoring.tests import factories as mf
from sunshine.registry import choices as c
from sunshine.testing import factories as f
from sunshine.workflow.choices import CaseType, ChangeKind
from sunshine.workflow.models import Case, Objection
from sunshine.workflow.tests import factories as wf
from tests.test_scope import ID_RE, all_get_urls, sample_at_id

MASKED_ROLES = ["clerk", "township", "analyst"]
# Typed by people into free text: an ID number and phones that belong to nobody in the registry.
TYPED_ID = f.new_id(birth=dt.date(1988, 8, 8), male=False)
TYPED_MOBILE = "13912345678"
TYPED_TEXT = f"我是本村村民,身份证{TYPED_ID},电话{TYPED_MOBILE},反映情况属实"
PHONE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
# Forms that end the session or start long jobs are not part of what a masked reader may leak through.
SKIP_ACTIONS = ("/logout/", "/accounts/logout/")


class Forms(HTMLParser):
    """The POST forms of a page: action and the fields as a browser would send them unchanged."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None
        self._select: str | None = None
        self._select_first: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = {"action": a.get("action", ""), "method": a.get("method", "get").lower(),
                          "enctype": a.get("enctype", ""), "fields": {}}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind in ("file", "submit", "button", "image"):
                return
            self._form["fields"][a["name"]] = a.get("value", "on" if kind == "checkbox" else "")
        elif tag == "select" and a.get("name"):
            self._select, self._select_first = a["name"], None
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._select_first is None and value:
                self._select_first = value
            if "selected" in a:
                self._form["fields"][self._select] = value
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._form["fields"][self._textarea] = ""

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea:
            self._form["fields"][self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select" and self._form is not None and self._select:
            self._form["fields"].setdefault(self._select, self._select_first or "")
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def post_forms(html: str) -> list[dict[str, Any]]:
    parser = Forms()
    parser.feed(html)
    return [form for form in parser.forms if form["method"] == "post"]


@pytest.fixture
def planted(users, household_a):
    """Village A as a masked reader will meet it: a household with a phone, a case of every payload type,
    objections, notes and explanations carrying a typed ID number and phone."""
    member = household_a.members.exclude(relation=c.Relation.HEAD).first()
    run_id = run_assessment(actor=users["county"], kind="households", year=2020, division_code=f.VILLAGE_A).pk
    target = {"household_no": household_a.household.household_no, "year": "2020", "member_id": str(member.pk),
              "id": str(member.pk), "code": f.VILLAGE_A, "run_id": str(run_id)}
    from sunshine.registry.models import ImportJob

    cf.at_ids(actor=users["county"], household_year=household_a, run_id=run_id, id=int(target["id"]))
    sample_at_id(household_a, int(target["id"]))
    mf.at_ids(actor=users["county"], household_year=household_a, run_id=run_id, id=int(target["id"]))
    notice_case = wf.at_ids(actor=users["county"], household_year=household_a, id=int(target["id"]))
    # Explicit keys: PostgreSQL's sequences do not skip the explicit keys the factories above use.
    key = int(target["id"]) + 100
    Objection.objects.create(pk=key, case=notice_case, contact=TYPED_MOBILE, content=TYPED_TEXT)
    # Free text written by full-data roles that later reaches masked readers.
    from sunshine.comparison.models import FindingEvent
    from sunshine.monitoring.models import WarningEvent

    FindingEvent.objects.create(pk=key, finding_id=int(target["id"]), user=users["county"], action="verify",
                                note=TYPED_TEXT)
    WarningEvent.objects.create(pk=key, warning_id=int(target["id"]), user=users["county"], action="verify",
                                note=TYPED_TEXT)
    # A case of every payload type the procedure has (one open case per household and type: a household
    # each), opened directly so that no guard stands in the way.
    newborn = f.new_id(birth=dt.date(2020, 3, 1), male=True)
    bride = f.new_id(birth=dt.date(1995, 2, 2), male=False)
    others = [f.make_household(users["county"], village=f.VILLAGE_A, head_name=f"丙户主{i}", members=2)
              for i in range(3)]

    def someone(hy: Any) -> int:
        return hy.members.exclude(relation=c.Relation.HEAD).first().pk

    payloads: list[tuple[str, str, Any, dict[str, Any], dict[str, Any]]] = [
        (CaseType.CHANGE, ChangeKind.BIRTH, household_a, {
            "member": {"name": "新生儿", "id_number": newborn, "relation": "grandchild"},
            "change_date": "2020-03-01"}, {}),
        (CaseType.CHANGE, ChangeKind.MARRIAGE_IN, others[0], {
            "member": {"name": "新媳妇", "id_number": bride, "phone": TYPED_MOBILE}}, {}),
        (CaseType.CHANGE, ChangeKind.DEATH, others[1], {"member_id": someone(others[1]),
                                                       "change_date": "2020-05-05"}, {}),
        (CaseType.CHANGE, ChangeKind.MOVE_OUT, others[2], {"member_id": someone(others[2]), "note": TYPED_TEXT}, {}),
        (CaseType.ENTRY, "", None, {"members": [{"name": "申请人之子", "id_number": newborn}],
                                    "head": {"name": "申请人", "id_number": TYPED_ID, "phone": TYPED_MOBILE}},
         {"name": "申请人", "id_number": TYPED_ID, "phone": TYPED_MOBILE, "village_code": f.VILLAGE_A}),
    ]
    case_ids = []
    for offset, (case_type, kind, hy, payload, applicant) in enumerate(payloads, start=1):
        case = Case.objects.create(
            pk=key + offset, case_type=case_type, year=2020, household=hy.household if hy else None,
            applicant=applicant, division_id=f.VILLAGE_A, steps=["household", "cadre"], current_step=0,
            awaiting_step="household", change_kind=kind, payload=payload, reason=TYPED_TEXT,
            opened_by=users["county"])
        case_ids.append(case.pk)
    people = [household_a, *others]
    secrets = {TYPED_ID, newborn, bride}
    phones = {TYPED_MOBILE}
    births: set[str] = set()
    for hy in people:
        secrets |= set(hy.members.values_list("person__id_number", flat=True))
        phones |= {hy.phone} if hy.phone else set()
        births |= {f"{d:%Y-%m-%d}" for d in hy.members.values_list("person__birth_date", flat=True)}
    extra = [f"/cases/{pk}/" for pk in case_ids]
    return {"target": target, "secrets": secrets, "phones": phones, "births": births, "extra_urls": extra,
            "import_job": ImportJob}


def leaks(body: str, planted: dict[str, Any]) -> list[str]:
    found = [m for m in ID_RE.findall(body) if m in planted["secrets"]]
    found += [m for m in PHONE_RE.findall(body) if m in planted["phones"]]
    found += [b for b in planted["births"] if b in body]
    return found


def is_page(response: Any) -> bool:
    return response.status_code == 200 and "text/html" in response.get("Content-Type", "")


@pytest.mark.parametrize("role", MASKED_ROLES)
def test_masked_roles_submit_every_form_and_see_no_personal_data(client: Client, users, planted, role):
    job = planted["import_job"].objects.create(user=users[role], status=planted["import_job"].Status.DONE)
    target = {**planted["target"], "job_id": str(job.pk)}
    client.force_login(users[role])
    pages = forms_sent = 0
    for url in all_get_urls(target) + planted["extra_urls"]:
        response = client.get(url, follow=True)
        body = response.content.decode(errors="replace")
        assert not leaks(body, planted), f"{role} GET {url}: {leaks(body, planted)}"
        if response.status_code == 200 and not url.startswith("/public/"):
            assert "no-store" in response.get("Cache-Control", ""), f"{role} GET {url} may be cached"
        if not is_page(response):
            continue
        pages += 1
        page_url = response.request["PATH_INFO"]
        for form in post_forms(body):
            action = urljoin(page_url, form["action"] or page_url)
            if urlsplit(action).path.endswith(SKIP_ACTIONS) or urlsplit(action).netloc:
                continue
            # As shown (the unchanged form), then with every text field made invalid to force a re-render.
            broken = {k: ("x" * 400 if k != "csrfmiddlewaretoken" and not v.isdigit() else v)
                      for k, v in form["fields"].items()}
            for data in (form["fields"], broken):
                sent = client.post(action, data, follow=True)
                assert sent.status_code != 500, f"{role} POST {action} -> 500"
                text = sent.content.decode(errors="replace")
                assert not leaks(text, planted), f"{role} POST {action} (from {url}): {leaks(text, planted)}"
                forms_sent += 1
    assert pages >= 20 and forms_sent >= 5, (pages, forms_sent)


@pytest.mark.parametrize("role", MASKED_ROLES)
def test_case_payloads_of_every_type_are_masked_in_pages_and_api(client: Client, users, planted, role):
    client.force_login(users[role])
    for url in planted["extra_urls"]:
        case_id = url.strip("/").split("/")[-1]
        for address in (url, f"/api/cases/{case_id}"):
            response = client.get(address)
            assert response.status_code == 200, address
            body = response.content.decode()
            assert not leaks(body, planted), f"{role} {address}: {leaks(body, planted)}"
    # Full-data roles still see what they need to decide.
    client.force_login(users["county"])
    body = client.get(planted["extra_urls"][0]).content.decode()
    assert any(secret in body for secret in planted["secrets"])
