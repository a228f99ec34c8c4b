"""`sunshine demo` end to end on a small seed-fixed region: a plausible warning rate with every code, plausible
assessments, cases at every step (some in their public notice, one held by an objection), a sample draw with
visits, overdue and escalated items; and a re-run leaves nothing of the previous demo behind."""

from __future__ import annotations

import collections
import io
import logging
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from sunshine.assessment.models import AssessmentRun, HouseholdAssessment
from sunshine.comparison.models import ComparisonRun, DatasetLoad, Finding
from sunshine.core.models import User
from sunshine.monitoring.choices import EscalationLevel
from sunshine.monitoring.models import EarlyWarning, MonitoringRun, SampleDraw, SampleUnit
from sunshine.registry.models import HouseholdYear
from sunshine.workflow.choices import CaseStatus, CaseType, Step
from sunshine.workflow.models import Case, Objection
from sunshine.workflow.services.cases import awaiting
from sunshine.workflow.services.objections import in_notice

pytestmark = pytest.mark.django_db(transaction=True)

HOUSEHOLDS = 1500
YEAR = settings.SUNSHINE_DEFAULT_YEAR


def demo() -> str:
    out = io.StringIO()
    call_command("demo", households=HOUSEHOLDS, seed=1, no_serve=True, stdout=out)
    return out.getvalue()


def test_demo_is_plausible_and_every_role_has_work(caplog: pytest.LogCaptureFixture,
                                                   tmp_path_factory: pytest.TempPathFactory) -> None:
    caplog.set_level(logging.WARNING)
    demo()
    # No English library warning (or any warning) printed while the demo builds itself.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []

    registered = HouseholdYear.objects.filter(year=YEAR).exclude(status="closed").count()
    warned = EarlyWarning.objects.filter(year=YEAR, household__isnull=False).count()
    assert 0.02 <= warned / registered <= 0.07, (warned, registered)  # was about 60 %
    codes = collections.Counter(c for codes in EarlyWarning.objects.values_list("codes", flat=True) for c in codes)
    assert set(codes) == {"M-UNSTABLE", "M-EDGE", "M-SUDDEN", "M-SLIP"}, codes
    assert EarlyWarning.objects.count() < 0.08 * registered

    results = collections.Counter(HouseholdAssessment.objects.filter(run__official=True)
                                  .values_list("result", flat=True))
    total = sum(results.values())
    assert results["meets"] > 0.85 * total and results["fails"] > 0 and results["incomplete"] > 0, results
    assert results["fails"] < 0.12 * total and results["incomplete"] < 0.03 * total, results

    exits = Case.objects.filter(case_type=CaseType.EXIT)
    assert sum(in_notice(case) for case in exits) >= 2
    held = exits.filter(status=CaseStatus.ON_HOLD)
    assert held.count() == 1 and Objection.objects.filter(case__in=held).exists()
    steps = set(exits.filter(status=CaseStatus.IN_PROGRESS).values_list("awaiting_step", flat=True))
    assert {Step.TOWNSHIP_REVIEW, Step.COUNTY_APPROVAL, Step.VILLAGE_NOTICE} <= steps
    assert steps & {Step.HOUSEHOLD, Step.CADRE, Step.APPRAISAL}
    assert Case.objects.filter(case_type=CaseType.CHANGE, change_kind="birth").exists()
    assert Case.objects.filter(case_type=CaseType.ENTRY, monitored__isnull=False).exists()
    # Every exit case is for a household that meets the standard in the official assessment.
    for case in exits:
        assert HouseholdAssessment.objects.filter(household=case.household, run__official=True,
                                                  result="meets").exists()
    # Signed by the demo users, in their own roles.
    signers = set(Case.objects.values_list("actions__actor__username", flat=True))
    assert {"clerk", "township"} <= signers

    assert SampleDraw.objects.count() == 1
    assert SampleUnit.objects.filter(visited_on__isnull=False).count() >= 3
    levels = collections.Counter(EarlyWarning.objects.values_list("escalation", flat=True))
    assert levels[EscalationLevel.TOWNSHIP] > 0 and levels[EscalationLevel.COUNTY] > 0
    assert levels[EscalationLevel.VILLAGE] > levels[EscalationLevel.TOWNSHIP] + levels[EscalationLevel.COUNTY]
    assert Finding.objects.filter(deadline__lt=timezone.localdate()).exists()  # some findings are overdue

    for username in ("clerk", "township", "county"):
        assert awaiting(User.objects.get(username=username)).exists(), username
    clerk = User.objects.get(username="clerk")
    assert EarlyWarning.objects.filter(division=clerk.division, escalation=EscalationLevel.TOWNSHIP).exists()
    _statements_of_a_demo_village_print(tmp_path_factory.mktemp("statements"))


def _statements_of_a_demo_village_print(folder: Path) -> None:
    """issue 15: the benefits statements of a demo village — one or two pages per household, the Chinese text
    in embedded Noto CJK fonts (no boxes for missing glyphs), no full ID number anywhere."""
    import re

    import pypdf

    from sunshine.funds.models import Payment
    from sunshine.registry.models import MemberYear

    village = (Payment.objects.filter(household__isnull=False, period__startswith=str(YEAR))
               .values_list("household__village_id", flat=True).first())
    assert village, "the demo pays households"
    out = folder / "village.pdf"
    call_command("statements", "print", village=village, year=YEAR, out=str(out), stdout=io.StringIO())
    reader = pypdf.PdfReader(out)
    households = HouseholdYear.objects.filter(year=YEAR, household__village_id=village).count()
    assert households <= len(reader.pages) <= 2 * households
    text = "".join(page.extract_text() for page in reader.pages)
    assert text.count("政策到户明白册") >= households and "帮扶责任人" in text
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font.get("/DescendantFonts")
            descriptor = (descendant[0].get_object() if descendant else font).get("/FontDescriptor").get_object()
            assert {"/FontFile2", "/FontFile3"} & set(descriptor), font["/BaseFont"]   # embedded
            fonts.add(re.sub(r"^[A-Z]{6}\+", "", str(font["/BaseFont"])))
    assert fonts and all("Noto" in name and "CJK" in name for name in fonts), fonts
    ids = set(MemberYear.objects.filter(household_year__household__village_id=village)
              .values_list("person__id_number", flat=True))
    assert ids and not [i for i in ids if i in text]
    assert not re.search(r"(?<![0-9])\d{17}[0-9X](?![0-9])", text)


def _dataset_files() -> list[Path]:
    from django.conf import settings

    from sunshine.engine.comparison.versions import DIFF, KEYS, UNLINKED

    # The versions themselves, not what each keeps beside it (incremental comparison, linkage).
    return sorted(p for p in (Path(settings.DATA_DIR) / "datasets").glob("*/*.parquet")
                  if not p.name.endswith((KEYS, DIFF, UNLINKED)))


def test_a_rerun_leaves_nothing_of_the_previous_demo(settings, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path  # its own data directory: only this test's runs and dataset files in it
    demo()
    first = {
        "warnings": EarlyWarning.objects.count(), "cases": Case.objects.count(),
        "loads": DatasetLoad.objects.count(), "files": len(_dataset_files()),
    }
    demo()
    assert MonitoringRun.objects.count() == 1
    assert ComparisonRun.objects.filter(kind="comparison").count() == 1
    assert ComparisonRun.objects.filter(kind="funds").count() == 1  # the demo's funds check (sunshine.demo.funds)
    from sunshine.comparison.models import Finding

    # …which finds the planted problems (it once read the tables through a connection that missed them)
    assert Finding.objects.filter(first_run__kind="funds").count() >= 10
    assert AssessmentRun.objects.filter(official=True).count() == 1
    assert SampleDraw.objects.count() == 1
    # The same demo again: the same numbers, nothing left over from the first.
    assert EarlyWarning.objects.count() == first["warnings"]
    assert not EarlyWarning.objects.exclude(first_run=MonitoringRun.objects.get()).exists()
    assert Case.objects.count() == first["cases"]
    assert DatasetLoad.objects.count() == first["loads"] == 13
    assert len(_dataset_files()) == first["files"] == 13
    assert {load.version for load in DatasetLoad.objects.all()} == {1}
    run_dirs = {p.name for p in (tmp_path / "comparison" / "runs").glob("*") if p.is_dir()}
    assert run_dirs <= {str(pk) for pk in ComparisonRun.objects.values_list("pk", flat=True)}
