"""`sunshine cases list|show|advance` as the acting user: scope, masking, role and step checks."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from sunshine.workflow import services
from sunshine.workflow.models import Case
from sunshine.workflow.tests.helpers import make_meet, official_run

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("cases", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def exit_case(users, household_a):
    make_meet(users, household_a)
    official_run(users)
    return services.open_case(actor=users["clerk"], case_type="exit", year=2020, household=household_a.household)


def test_list_and_show(users, exit_case, household_a):
    out = run("list", "--user", "clerk_a")
    assert f"#{exit_case.pk}" in out and "标注脱贫" in out and "农户申请/确认" in out and "共 1 件" in out
    assert household_a.head_id_number not in out and household_a.head_id_number[:6] in out
    assert "共 0 件" in run("list", "--user", "clerk_b")
    assert "共 0 件" in run("list", "--user", "township_a", "--awaiting")
    assert f"#{exit_case.pk}" in run("list", "--user", "county", "--type", "exit", "--status", "in_progress")
    shown = run("show", str(exit_case.pk), "--user", "county")
    assert "→ 1. 农户申请/确认(村级录入)" in shown and household_a.head_id_number in shown
    assert "退出条件: 达标" in shown
    with pytest.raises(CommandError, match="不存在或不在您的管辖范围内"):
        run("show", str(exit_case.pk), "--user", "clerk_b")


def test_advance_checks_role_and_step(users, exit_case, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    scan = tmp_path / "签字页.png"
    scan.write_bytes(b"\x89PNG\r\n\x1a\n scan")
    with pytest.raises(CommandError, match="县级管理"):
        run("advance", str(exit_case.pk), "--step", "county_approval", "--decision", "approve", "--user", "clerk_a")
    with pytest.raises(CommandError, match="步骤不能跳过"):
        run("advance", str(exit_case.pk), "--step", "cadre", "--decision", "approve", "--user", "clerk_a")
    out = run("advance", str(exit_case.pk), "--step", "household", "--decision", "approve", "--note", "农户已签字",
              "--attachment", str(scan), "--user", "clerk_a")
    assert "当前步骤: 帮扶责任人确认" in out
    action = Case.objects.get(pk=exit_case.pk).actions.get()
    assert action.actor == users["clerk"] and action.attachment.read() == b"\x89PNG\r\n\x1a\n scan"
    with pytest.raises(CommandError, match="退回理由"):
        run("advance", str(exit_case.pk), "--step", "cadre", "--decision", "reject", "--user", "clerk_a")
    assert "当前步骤: 农户申请/确认" in run("advance", str(exit_case.pk), "--step", "cadre", "--decision", "reject",
                                      "--note", "签字不清", "--user", "clerk_a")
