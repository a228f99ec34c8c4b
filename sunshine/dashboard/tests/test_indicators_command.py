"""`sunshine indicators refresh|list`: the on-demand refresh prints its rows and seconds; bad input is a
Chinese CommandError that changes nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sunshine.dashboard.indicators import CATALOGUE
from sunshine.dashboard.models import IndicatorRefresh, IndicatorValue
from sunshine.testing import factories as f

pytestmark = pytest.mark.django_db


def run(*args: str, verbosity: int = 1) -> str:
    out = io.StringIO()
    call_command("indicators", *args, stdout=out, verbosity=verbosity)
    return out.getvalue()


def test_refresh_of_some_codes_prints_rows_and_seconds(users, household_a, household_b) -> None:
    text = run("refresh", "--year", "2020", "--codes", "households,people")
    log = IndicatorRefresh.objects.get()
    assert (log.trigger, log.year, log.codes) == ("command", 2020, "households,people")
    assert f"写入 {log.rows} 行" in text and "2 个指标" in text and "秒" in text
    assert set(IndicatorValue.objects.values_list("code", flat=True)) == {"households", "people"}
    assert IndicatorValue.objects.filter(code="households", division_code=f.COUNTY).exists()


def test_refresh_of_every_indicator_for_several_years_with_timings(users, household_a) -> None:
    text = run("refresh", "--year", "2020", "--year", "2019", verbosity=2)
    assert sorted(IndicatorRefresh.objects.values_list("year", flat=True)) == [2019, 2020]
    assert text.index("2019年度") < text.index("2020年度")
    assert all(code in text for code in CATALOGUE)  # -v 2: seconds per indicator


def test_refresh_by_source(users, household_a) -> None:
    run("refresh", "--year", "2020", "--sources", "registry")
    codes = set(IndicatorRefresh.objects.get().codes.split(","))
    assert codes == {i.code for i in CATALOGUE.values() if "registry" in i.sources}


def test_refresh_defaults_to_the_default_year(settings, users, household_a) -> None:
    run("refresh", "--codes", "households")
    assert IndicatorRefresh.objects.get().year == settings.SUNSHINE_DEFAULT_YEAR


@pytest.mark.parametrize("args", [("refresh", "--codes", "households,nonsense"), ("refresh", "--year", "1900")])
def test_bad_input_is_refused_and_changes_nothing(args: tuple[str, ...]) -> None:
    with pytest.raises(CommandError) as error:
        run(*args)
    assert "nonsense" in str(error.value) or "1900" in str(error.value)
    assert not IndicatorRefresh.objects.exists()


def test_list_prints_the_catalogue() -> None:
    text = run("list")
    lines = text.strip().splitlines()
    assert lines[0].startswith("代码 code") and lines[-1] == f"共 {len(CATALOGUE)} 个指标 indicators"
    rows = {line.split("\t")[0]: line.split("\t") for line in lines[1:-1]}
    assert list(rows) == list(CATALOGUE)
    assert rows["households"][1] == "建档立卡" and rows["households"][5] == "registry"
    assert rows["key_county_household_share"][4] == "@county_household_share"
