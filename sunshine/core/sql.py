"""ORM querysets wrapped in SQL of our own: the one place that compiles a queryset for an outer query."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet


def inner_sql(qs: QuerySet[Any]) -> tuple[str, tuple[Any, ...]] | None:
    """``qs`` as SQL and its parameters, to be placed inside an outer query; None when ``qs`` can match nothing
    (Django does not compile none() or an empty IN list: it raises EmptyResultSet)."""
    try:
        sql, params = qs.query.sql_with_params()
    except EmptyResultSet:
        return None
    return sql, tuple(params)


def select_over(qs: QuerySet[Any], outer: str, before: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Rows of ``outer``, a SELECT whose ``{inner}`` is ``qs`` (as a derived table or an IN list); ``before`` are
    the values of the placeholders ``outer`` has ahead of ``{inner}``. No rows when ``qs`` can match nothing."""
    compiled = inner_sql(qs)
    if compiled is None:
        return []
    sql, params = compiled
    with connection.cursor() as cur:
        # The inner query is the ORM's, its values bound separately; ``outer`` is the caller's own SQL.
        cur.execute(outer.format(inner=sql), (*before, *params))
        return cur.fetchall()
