"""ORM querysets inside SQL of our own (sunshine.core.sql), and the callers that rely on "matches nothing"."""

from __future__ import annotations

import pyarrow as pa
import pytest

from sunshine.comparison.models import Finding
from sunshine.core import bulk
from sunshine.core.arrow_extract import fetch_arrow
from sunshine.core.models import Division
from sunshine.core.scope import counts_by_prefix
from sunshine.core.sql import inner_sql, select_over

pytestmark = pytest.mark.django_db


def _divisions() -> list[str]:
    return sorted(Division.objects.values_list("code", flat=True))


def test_select_over_wraps_the_queryset_and_binds_values_in_order() -> None:
    codes = _divisions()[:5]
    assert codes, "the migrations load the province's divisions"
    qs = Division.objects.filter(code__in=codes).values("code")
    rows = select_over(qs, "SELECT COUNT(*) + %s FROM ({inner}) d", (100,))
    assert rows == [(100 + len(codes),)]
    sql, params = inner_sql(qs)
    assert list(params) == codes and "SELECT" in sql


@pytest.mark.parametrize("nothing", [
    lambda: Division.objects.none(),
    lambda: Division.objects.filter(code__in=[]),
])
def test_a_queryset_that_matches_nothing_gives_nothing_not_an_error(nothing) -> None:
    assert inner_sql(nothing().values("code")) is None
    assert select_over(nothing().values("code"), "SELECT COUNT(*) FROM ({inner}) d") == []
    assert counts_by_prefix(Finding.objects.none(), 4) == {}
    assert counts_by_prefix(Finding.objects.filter(pk__in=[]), 4) == {}
    before = Division.objects.count()
    bulk.delete_where_pk_in(Division, nothing())
    assert Division.objects.count() == before
    schema = pa.schema([("code", pa.string()), ("name", pa.string())])
    table = fetch_arrow(nothing().values_list("code", "name"), schema)
    assert table.num_rows == 0 and table.schema == schema
