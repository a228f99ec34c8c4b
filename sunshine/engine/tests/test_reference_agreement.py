"""The SQL and the per-household Python reference agree on random households, explanation included."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sunshine.engine import vocabulary as v
from sunshine.engine.tests.builders import YEAR, assess, params

money = st.one_of(st.none(), st.decimals(min_value=-2000, max_value=40000, places=2, allow_nan=False,
                                         allow_infinity=False))
maybe_bool = st.sampled_from([True, False, None])
TWINS_BORN = [dt.date(YEAR - 10, 3, 1), dt.date(YEAR - 15, 9, 2)]  # shared birthdays make ties in the order
maybe = lambda values: st.sampled_from([None, "", *values])  # noqa: E731


@st.composite
def households(draw: st.DrawFn) -> tuple[list[dict], list[dict]]:
    hs, ms = [], []
    n = draw(st.integers(min_value=1, max_value=6))
    for i in range(n):
        no = f"H{i:03d}"
        hs.append({
            "household_no": no, "year": draw(st.sampled_from([YEAR, YEAR, YEAR - 1])), "village_code": "320321101001",
            "status": draw(st.sampled_from(list(v.HOUSEHOLD_STATUS_LABELS))),
            **{col: draw(money) for col, _, _ in v.INCOME_ITEMS},
            "food_clothing_secure": draw(maybe_bool), "water_safe": draw(maybe_bool),
            "housing_grade": draw(maybe(["A", "B", "C", "D"])), "renovation_status": draw(maybe(v.RENOVATION_LABELS)),
        })
        for j in range(draw(st.integers(min_value=0, max_value=5))):
            birth = draw(st.one_of(st.none(), st.sampled_from(TWINS_BORN),
                                   st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(YEAR, 12, 31))))
            ms.append({
                "household_no": no, "year": draw(st.sampled_from([YEAR, YEAR, YEAR, YEAR - 1])),
                "name": draw(st.sampled_from([f"成员{i}{j}", "同名", None])), "id_number": f"3203211{i:05d}{j:06d}",
                "birth_date": birth,
                "relation": "child", "education_level": draw(maybe(v.EDUCATION_LEVEL_LABELS)),
                "school_status": draw(maybe(v.SCHOOL_STATUS_LABELS)), "medical_insured": draw(maybe_bool),
                "member_status": draw(st.sampled_from(["active", "active", "active", "deceased", "moved_out", ""])),
            })
    return hs, ms


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(households(), st.sampled_from([Decimal("6000"), Decimal("6500.50"), Decimal("3000")]))
def test_sql_and_reference_agree(data, line):
    hs, ms = data
    assess(hs, ms, params(income_line=line))  # asserts the equality itself
