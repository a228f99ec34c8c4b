"""The scope filter of a village clerk's lists searches the division index (issue 18: on a province's data the
clerk's lists must stay fast), on SQLite and on PostgreSQL, and shows the clerk's village only."""

from __future__ import annotations

import copy
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sunshine.comparison.tests import factories as cf
from sunshine.core.scope import prefix_upper_bound
from sunshine.monitoring.tests import factories as mf
from sunshine.testing import factories as f

LISTS = {"/comparison/findings/": "comparison_finding", "/monitoring/": "monitoring_earlywarning"}


def test_prefix_upper_bound():
    assert prefix_upper_bound("320321101001") == "320321101002"
    assert prefix_upper_bound("3209") == "3210"
    assert prefix_upper_bound("0899") == "0900"
    assert prefix_upper_bound("99") is None and prefix_upper_bound("") is None and prefix_upper_bound("32a") is None


def _elsewhere(model: type, one: object, count: int = 1000) -> None:
    """``count`` copies of ``one`` in another township's village, then fresh statistics: the planner judges the
    scope filter on these rows, not on what the database held when it last analysed the table (committed rows of
    earlier tests, all in village A, once made it walk the list's order index instead)."""
    rows = []
    for n in range(count):
        row = copy.copy(one)
        row.pk, row.division_id = None, f.VILLAGE_B
        setattr(row, "fingerprint" if hasattr(row, "fingerprint") else "signature", f"elsewhere-{n:06d}")
        rows.append(row)
    model.objects.bulk_create(rows)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            # Inside the test's transaction: counts its own rows, and is rolled back with them.
            cur.execute(f'ANALYZE "{model._meta.db_table}"')


def _plan(sql: str) -> str:
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("EXPLAIN QUERY PLAN " + sql)
            return "\n".join(str(row[-1]) for row in cur.fetchall())
        # Tiny tables are cheaper to scan whole; without that choice the planner shows whether an index serves.
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cur.fetchall())


@pytest.mark.django_db(transaction=False)
@pytest.mark.parametrize("url", LISTS)
def test_clerk_lists_search_the_division_index(client, users, household_a, household_b, url):
    table = LISTS[url]
    comparison, monitoring = cf.make_run(actor=users["county"]), mf.make_run(actor=users["county"])
    for household in (household_a, household_b):
        finding = cf.make_finding(run=comparison, household_year=household)
        warning = mf.make_warning(run=monitoring, household_year=household)
    _elsewhere(type(finding), finding)
    _elsewhere(type(warning), warning)
    client.force_login(users["clerk"])
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert household_a.household.household_no in page and household_b.household.household_no not in page

    scoped = [q["sql"] for q in ctx.captured_queries
              if f'"{table}"' in q["sql"] and f"'{f.VILLAGE_A}%'" in q["sql"]]
    assert len(scoped) >= 2  # the count and the page's rows at least
    for sql in scoped:
        plan = _plan(sql)
        if connection.vendor == "sqlite":
            assert re.search(rf"SEARCH {table} USING (COVERING )?INDEX \S+ \(division_id>\? AND division_id<\?\)",
                             plan), (sql, plan)
        else:
            assert f"Seq Scan on {table}" not in plan, (sql, plan)
            assert re.search(r"Index Cond: .*division_id.*(>=|~>=~) '320321101001'", plan), (sql, plan)
