"""Verification workflow: transitions, who may act, notes and attachments, deadlines and the overdue list."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from sunshine.comparison import selectors, workflow
from sunshine.comparison.choices import FindingStatus
from sunshine.comparison.models import Finding, FindingEvent
from sunshine.comparison.tests import factories as cf
from sunshine.testing import factories as f

PENDING, CONFIRMED, REJECTED, RECTIFIED = (FindingStatus.PENDING, FindingStatus.CONFIRMED, FindingStatus.REJECTED,
                                           FindingStatus.RECTIFIED)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%test\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def run(users):
    return cf.make_run(actor=users["county"])


@pytest.fixture
def finding_a(run, household_a):
    return cf.make_finding(run=run, household_year=household_a)


def step(name, actor, finding, **kw):
    if name == "verify":
        return workflow.verify(actor=actor, finding=finding, confirmed=kw.pop("confirmed", True),
                               note=kw.pop("note", "入户核实"), **kw)
    return workflow.rectify(actor=actor, finding=finding, note=kw.pop("note", "已整改"), **kw)


# (status before, step, confirmed, status after or None when refused)
TRANSITIONS = [
    (PENDING, "verify", True, CONFIRMED),
    (PENDING, "verify", False, REJECTED),
    (PENDING, "rectify", None, None),
    (CONFIRMED, "rectify", None, RECTIFIED),
    (CONFIRMED, "verify", True, None),
    (REJECTED, "verify", True, None),
    (REJECTED, "rectify", None, None),
    (RECTIFIED, "verify", False, None),
    (RECTIFIED, "rectify", None, None),
]


@pytest.mark.parametrize(("before", "name", "confirmed", "after"), TRANSITIONS)
def test_transitions(users, run, household_a, before, name, confirmed, after):
    finding = cf.make_finding(run=run, household_year=household_a, status=before)
    kw = {"confirmed": confirmed} if name == "verify" else {}
    events = FindingEvent.objects.filter(finding=finding)
    if after is None:
        with pytest.raises(ValidationError) as exc:
            step(name, users["clerk"], finding, **kw)
        assert "当前为" in str(exc.value.message_dict["status"])
        assert Finding.objects.get(pk=finding.pk).status == before and events.count() == 1
        return
    step(name, users["clerk"], finding, **kw)
    assert finding.status == after and Finding.objects.get(pk=finding.pk).status == after
    event = events.latest("id")
    assert (event.user, event.action, event.from_status, event.to_status, event.note) == (
        users["clerk"], name, before, after, "入户核实" if name == "verify" else "已整改")


# (user, may act on a finding of village A)
ACTORS = [("clerk", True), ("township", True), ("county", True), ("admin", True),
          ("supervisor", False), ("analyst", False), ("clerk_b", False)]


@pytest.mark.parametrize(("who", "allowed"), ACTORS)
def test_who_may_verify_and_rectify(users, finding_a, who, allowed):
    actor = users[who]
    assert workflow.may_act(actor, finding_a) is allowed
    if not allowed:
        with pytest.raises(PermissionDenied):
            step("verify", actor, finding_a)
        Finding.objects.filter(pk=finding_a.pk).update(status=CONFIRMED)
        finding_a.refresh_from_db()
        with pytest.raises(PermissionDenied):
            step("rectify", actor, finding_a)
        assert Finding.objects.get(pk=finding_a.pk).status == CONFIRMED
        assert not FindingEvent.objects.filter(finding=finding_a, user=actor).exists()
        return
    step("verify", actor, finding_a)
    step("rectify", actor, finding_a)
    assert Finding.objects.get(pk=finding_a.pk).status == RECTIFIED
    assert FindingEvent.objects.filter(finding=finding_a, user=actor).count() == 2


def test_next_step_follows_status_and_role(users, finding_a):
    assert workflow.next_step(users["clerk"], finding_a) == workflow.VERIFY
    assert workflow.next_step(users["supervisor"], finding_a) is None
    step("verify", users["clerk"], finding_a, confirmed=True)
    assert workflow.next_step(users["clerk"], finding_a) == workflow.RECTIFY
    step("rectify", users["clerk"], finding_a)
    assert workflow.next_step(users["clerk"], finding_a) is None


def test_a_county_finding_is_for_county_staff_not_for_a_village_clerk(users, run):
    outside = cf.make_finding(run=run, rule="C-DIBAO-MISSING", division=f.COUNTY, name="档外甲")
    assert not workflow.may_act(users["clerk"], outside) and not workflow.may_act(users["township"], outside)
    step("verify", users["county"], outside, confirmed=False, note="经核实,已于2019年迁出本县")
    assert Finding.objects.get(pk=outside.pk).status == REJECTED


@pytest.mark.parametrize("note", ["", "   ", None])
def test_note_is_required(users, finding_a, note):
    with pytest.raises(ValidationError) as exc:
        workflow.verify(actor=users["clerk"], finding=finding_a, confirmed=True, note=note)
    assert exc.value.message_dict["note"] == ["请填写核实情况说明"]
    Finding.objects.filter(pk=finding_a.pk).update(status=CONFIRMED)
    finding_a.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        workflow.rectify(actor=users["clerk"], finding=finding_a, note=note)
    assert exc.value.message_dict["note"] == ["请填写整改情况说明"]
    assert Finding.objects.get(pk=finding_a.pk).status == CONFIRMED


def test_a_stale_copy_cannot_step_twice(users, finding_a):
    stale = Finding.objects.get(pk=finding_a.pk)
    step("verify", users["clerk"], finding_a, confirmed=True)
    with pytest.raises(ValidationError):
        step("verify", users["township"], stale, confirmed=False)  # still "pending" in memory
    assert Finding.objects.get(pk=finding_a.pk).status == CONFIRMED
    assert FindingEvent.objects.filter(finding=finding_a, action="verify").count() == 1


def test_attachment_is_stored_under_media_root_with_the_event(users, finding_a, media):
    upload = SimpleUploadedFile("核实表.png", PNG, content_type="image/png")
    step("verify", users["clerk"], finding_a, attachment=upload)
    event = FindingEvent.objects.get(finding=finding_a, action="verify")
    path = media / event.attachment.name
    assert event.attachment.name.startswith("findings/") and path.read_bytes() == PNG


def test_an_id_number_in_the_file_name_is_not_stored(users, finding_a):
    upload = SimpleUploadedFile(f"{finding_a.id_number}.pdf", PDF, content_type="application/pdf")
    step("verify", users["clerk"], finding_a, attachment=upload)
    name = FindingEvent.objects.get(finding=finding_a, action="verify").attachment.name
    assert finding_a.id_number not in name and finding_a.id_number[:6] in name


@pytest.mark.parametrize(("name", "content", "message"), [
    ("scan.exe", PDF, "只能是 PDF、JPG 或 PNG"),
    ("scan.docx", b"PK\x03\x04", "只能是 PDF、JPG 或 PNG"),
    ("scan.pdf", PNG, "内容与文件类型不符"),
    ("scan.png", b"<html>", "内容与文件类型不符"),
    ("scan.jpg", b"", "空文件"),
    ("big.pdf", b"%PDF-" + b"0" * (workflow.MAX_ATTACHMENT_BYTES), "不能超过 10 MB"),
])
def test_bad_attachments_are_refused_and_nothing_changes(users, finding_a, name, content, message, media):
    with pytest.raises(ValidationError) as exc:
        step("verify", users["clerk"], finding_a, attachment=SimpleUploadedFile(name, content))
    assert message in exc.value.message_dict["attachment"][0]
    assert Finding.objects.get(pk=finding_a.pk).status == PENDING
    assert not FindingEvent.objects.filter(finding=finding_a, action="verify").exists()
    assert not (media / "findings").exists()


def test_jpeg_and_pdf_are_accepted(users, run, household_a):
    first = cf.make_finding(run=run, household_year=household_a)
    step("verify", users["clerk"], first, attachment=SimpleUploadedFile("a.JPG", b"\xff\xd8\xff\xe0" + b"0" * 20))
    second = cf.make_finding(run=run, household_year=household_a, head=True)
    step("verify", users["clerk"], second, attachment=SimpleUploadedFile("b.pdf", PDF))
    assert FindingEvent.objects.filter(action="verify").exclude(attachment="").count() == 2


def test_overdue_with_a_controlled_date(users, run, household_a, household_b):
    on = dt.date(2021, 3, 1)
    late = cf.make_finding(run=run, household_year=household_a, deadline=dt.date(2021, 2, 28))
    due_today = cf.make_finding(run=run, household_year=household_a, head=True, deadline=on)
    verified_late = cf.make_finding(run=run, household_year=household_a, deadline=dt.date(2021, 2, 1),
                                    status=CONFIRMED)
    late_b = cf.make_finding(run=run, household_year=household_b, deadline=dt.date(2021, 1, 15))
    assert set(selectors.overdue(users["county"], today=on)) == {late, late_b}
    assert list(selectors.overdue(users["clerk"], today=on)) == [late]  # scope applies
    assert set(selectors.overdue(users["county"], today=dt.date(2021, 3, 2))) == {late, due_today, late_b}
    assert not selectors.overdue(users["county"], today=dt.date(2021, 1, 1)).exists()
    assert workflow.is_overdue(late, on) and not workflow.is_overdue(due_today, on)
    assert not workflow.is_overdue(verified_late, on)
    # Verifying takes a finding off the overdue list.
    step("verify", users["clerk"], late)
    assert not selectors.overdue(users["clerk"], today=on).exists()

