"""API fuzzing (issue 12, Proof): schemathesis generates requests for every operation of the published OpenAPI
document and sends them to the Django app in-process (WSGI), as an administrator and as a village clerk of
village A, over a database holding village A's and village B's households, runs, findings, warnings and cases.

Requests that conform to the schema and (fewer) requests that violate it. Checks, per response: no server
error (5xx), the status code is one the document declares, the content type
and the body match the declared schema; for the clerk, nothing of village B (household numbers, names, ID
numbers, village code) appears unless the request itself carried it.

Bounded so the suite stays fast and reproducible: a fixed number of examples per operation, derandomized,
no Hypothesis database, no shrinking (a failure is reported with the example that showed it)."""

from __future__ import annotations

from typing import Any

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from sunshine.assessment.services import run_assessment
from sunshine.comparison.tests import factories as cf
from sunshine.config.api import api
from sunshine.config.wsgi import application
from sunshine.core.models import ApiToken
from sunshine.monitoring.tests import factories as mf
from sunshine.registry import choices as c
from sunshine.testing import factories as f
from sunshine.workflow.tests import factories as wf

EXAMPLES = 20  # per operation and role, generated parameters; plus the same again with real path parameters
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
NEGATIVE_EXAMPLES = 10  # per operation and role, requests the schema forbids


def hypothesis_settings(examples: int) -> hypothesis.settings:
    return hypothesis.settings(
        max_examples=examples, deadline=None, derandomize=True, database=None,
        phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck), print_blob=False)
TARGET_ID = 424242  # primary key of village B's finding, warning, case, objection (as in tests/test_scope.py)


def load_schema(app: Any = application) -> Any:
    schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api"))
    schema.app = app  # requests go through Django's WSGI handler, middleware included
    return schema


@pytest.fixture
def keep_test_connection() -> Any:
    """Django's WSGI handler closes the database connection at each request's start and end; inside a test's
    transaction on PostgreSQL that would close it for good. Django's test client avoids it the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(users, household_a, household_b) -> dict[str, Any]:
    """Village B's objects at known keys (the path parameters of the second round) and what must never leak."""
    member_b = household_b.members.exclude(relation=c.Relation.HEAD).first()
    run_id = run_assessment(actor=users["county"], kind="households", year=2020, division_code=f.VILLAGE_B).pk
    cf.at_ids(actor=users["county"], household_year=household_b, run_id=run_id, id=TARGET_ID)
    mf.at_ids(actor=users["county"], household_year=household_b, run_id=run_id, id=TARGET_ID)
    wf.at_ids(actor=users["county"], household_year=household_b, id=TARGET_ID)
    path_values = {
        "household_no": household_b.household.household_no, "year": household_b.year,
        "member_id": member_b.pk, "id": TARGET_ID, "run_id": run_id, "code": f.VILLAGE_B,
    }
    names_a = set(household_a.members.values_list("person__name", flat=True))
    secrets = {household_b.household.household_no, household_b.head_name, f.VILLAGE_B}
    secrets |= set(household_b.members.values_list("person__id_number", flat=True))
    secrets |= set(household_b.members.values_list("person__name", flat=True)) - names_a
    return {"path_values": path_values, "secrets": {s for s in secrets if s}}


def bearer(user: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {ApiToken.issue(user, name='fuzz')[1]}"}


def request_text(case: Any) -> str:
    return " ".join(str(part) for part in (case.path_parameters, case.query, case.body, case.headers))


def fuzz(operation: Any, headers: dict[str, str], secrets: set[str], failures: list[str], seen: list[int],
         path_parameters: dict[str, Any] | None = None, mode: GenerationMode = GenerationMode.POSITIVE) -> None:
    """Fuzz one operation; record (not raise) failures so that one run reports every operation. Negative mode
    sends what the schema forbids (wrong types, missing fields, out-of-range numbers): 4xx, never a 5xx."""
    fixed = {"path_parameters": path_parameters} if path_parameters else {}
    strategy = operation.as_strategy(generation_mode=mode, **fixed)

    @hypothesis_settings(EXAMPLES if mode == GenerationMode.POSITIVE else NEGATIVE_EXAMPLES)
    @given(case=strategy)
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        seen.append(response.status_code)
        case.validate_response(response, checks=CHECKS, headers=headers)
        if secrets:
            sent = request_text(case)
            leaked = [s for s in secrets if s in response.text and s not in sent]
            assert not leaked, f"village B's {leaked} in {response.status_code} {response.text[:300]}"

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collected and reported together below
        label = f"{operation.label}{' (real ids)' if path_parameters else ''} [{mode.value}]"
        failures.append(f"{label}: {str(exc)[:1500]}")


@pytest.mark.parametrize("role", ["admin", "clerk"])
def test_every_operation_survives_fuzzing(role: str, users, world, keep_test_connection) -> None:
    schema = load_schema()
    headers = bearer(users[role])
    secrets = world["secrets"] if role == "clerk" else set()
    failures: list[str] = []
    seen: list[int] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30
    for operation in operations:
        fuzz(operation, headers, secrets, failures, seen)
        fuzz(operation, headers, secrets, failures, seen, mode=GenerationMode.NEGATIVE)
        names = {p.name for p in operation.path_parameters}
        if names:
            fixed = {name: world["path_values"][name] for name in names}
            fuzz(operation, headers, secrets, failures, seen, path_parameters=fixed)
    assert not failures, "\n\n".join(failures)
    # The requests reached the views, not only the validation layer: real objects were read and written.
    print(role, len(seen), {code: seen.count(code) for code in sorted(set(seen))})  # noqa: T201
    assert seen.count(200) >= 10, seen


def test_the_harness_reports_server_errors_and_leaks() -> None:
    """The checks above are real: a server error, an undeclared body and a leaked secret are each reported."""
    def broken(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        status = "500 Internal Server Error" if environ["PATH_INFO"].endswith("/divisions") else "200 OK"
        start_response(status, [("Content-Type", "application/json")])
        return [b'{"unexpected": "T000000SECRET"}']

    operations = {op.label: op for op in (r.ok() for r in load_schema(broken).get_all_operations())}
    for label in ("GET /api/divisions", "GET /api/divisions/{code}", "GET /api/cases/{id}"):
        failures: list[str] = []
        fuzz(operations[label], {}, {"T000000SECRET"}, failures, [])
        assert len(failures) == 1, label
