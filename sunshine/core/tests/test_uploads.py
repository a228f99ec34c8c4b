"""The one upload job in core (sunshine.core.uploads): the run, the job pages of the three apps on one partial,
and the CLI import report shared with the dataset loads."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management.base import OutputWrapper

from sunshine.comparison.models import DatasetUpload
from sunshine.core import uploads
from sunshine.engine.comparison.datasets import DATASETS
from sunshine.funds.models_transfer import FundsUpload
from sunshine.registry.management.commands._common import report_import
from sunshine.registry.models_transfer import ImportJob
from sunshine.registry.transfer.model import RowError

pytestmark = pytest.mark.django_db


class _Failing(uploads.Runner):
    model = FundsUpload
    raised: BaseException = RuntimeError("boom")

    def work(self, job: FundsUpload) -> None:
        raise self.raised


def _queued(user, tmp_path: Path) -> FundsUpload:  # noqa: ANN001
    stored = Path("funds_uploads") / "1" / "upload.csv"
    (tmp_path / stored).parent.mkdir(parents=True)
    (tmp_path / stored).write_text("户编号\n", encoding="utf-8")
    return FundsUpload.objects.create(user=user, kind="funds", file_name="a.csv", path=stored.as_posix())


def test_a_run_that_fails_is_recorded_and_its_file_deleted(users, tmp_path, settings) -> None:
    settings.DATA_DIR = tmp_path
    job = _queued(users["county"], tmp_path)
    assert _Failing()(job.pk) == {"status": "failed", "error_count": 0}
    job.refresh_from_db()
    assert job.finished and job.progress == 100
    assert job.message == "导入时发生内部错误,未导入任何数据;请联系管理员"
    assert not (tmp_path / job.path).exists()  # it held personal data
    assert _Failing()(job.pk) == {"status": "failed"}  # a finished job is not run again


def test_a_refusal_is_the_job_message(users, tmp_path, settings) -> None:
    settings.DATA_DIR = tmp_path
    job = _queued(users["county"], tmp_path)
    runner = _Failing()
    runner.raised = PermissionDenied("不能导入")
    runner(job.pk)
    job.refresh_from_db()
    assert (job.status, job.message) == ("failed", "不能导入")


@pytest.mark.parametrize(("model", "url", "dom_id"), [
    (ImportJob, "/transfer/jobs/{}/", "job"),
    (DatasetUpload, "/comparison/datasets/uploads/{}/", "upload"),
    (FundsUpload, "/funds/files/{}/", "upload"),
])
def test_every_job_page_shows_its_failure_on_the_core_partial(client, users, model, url, dom_id) -> None:
    extra = {"ImportJob": {}, "DatasetUpload": {"dataset": next(iter(DATASETS)), "file_name": "v.csv", "path": "x"},
             "FundsUpload": {"kind": "funds", "file_name": "f.csv"}}[model.__name__]
    job = model.objects.create(user=users["admin"], status="failed", message="第一行\n第二行", error_count=1,
                               errors=[["f.csv", "", 3, "身份证号", "1", "无效"]], **extra)
    client.force_login(users["admin"])
    page = client.get(url.format(job.pk)).content.decode()
    assert f'id="{dom_id}-status"' in page and 'hx-get' not in page  # finished: no polling
    assert f'data-testid="{dom_id}-message" class="error"' in page and "第一行<br>第二行" in page
    assert "发现 1 处错误" in page and "无效" in page
    assert client.get(url.format(job.pk), HTTP_HX_REQUEST="true").content.decode().lstrip().startswith("<div")
    assert client.get(url.format(job.pk) + "errors/").status_code == 404  # no report written
    assert client.post(url.format(job.pk)).status_code == 403  # read-only


def test_another_users_job_is_not_found(client, users) -> None:
    job = FundsUpload.objects.create(user=users["admin"], kind="funds", file_name="f.csv")
    client.force_login(users["county"])
    assert client.get(f"/funds/files/{job.pk}/").status_code == 404


def _command() -> tuple[object, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()

    class Command:
        stdout, stderr = OutputWrapper(out), OutputWrapper(err)

    return Command(), out, err


def test_the_import_report_counts_errors_beyond_those_listed() -> None:
    command, out, err = _command()
    errors = [RowError("d.csv", "", n, "身份证号", "x", "无效") for n in range(2, 4)]
    with pytest.raises(SystemExit) as exit_:
        report_import(command, summary=None, warnings=["w"], errors=errors, errors_path=None, error_count=30,
                      rejected_rows=25, nothing_text="未导入任何数据")
    assert exit_.value.code == 2
    lines = err.getvalue().splitlines()
    assert lines[0] == "提示: w" and "……另有 10 处错误" in lines and "错误报告只列出前 2 处" in lines
    assert lines[-1] == "发现 30 处错误(25 行),未导入任何数据;用 --errors FILE 保存完整的错误报告"
    assert out.getvalue() == ""
