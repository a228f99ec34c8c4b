"""Import and export pages: upload as a clerk (in the request, or queued on the immediate task backend),
the job page with its result and errors, jobs private to their creator, masked exports for masked roles,
exports in the access log, templates."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from sunshine.core import jobs
from sunshine.core.choices import AccessAction
from sunshine.core.models import AccessLog
from sunshine.registry.models import Household, HouseholdYear, ImportJob
from sunshine.registry.transfer.export import export_year
from sunshine.testing import factories as f

pytestmark = pytest.mark.django_db
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
FULL_ID = re.compile(r"(?<![0-9])\d{17}[0-9X](?![0-9])")


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR


@pytest.fixture
def files(users, household_a, tmp_path):
    """Village A's 2020 files (the clerk's own village), in full."""
    paths = export_year(2020, tmp_path / "files", "csv", division=f.VILLAGE_A, unmasked=True)
    return {name: p.read_bytes() for name, p in paths.items()}


def with_bad_id(content: bytes) -> bytes:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    col = rows[0].index("身份证号")
    rows[2][col] = rows[2][col][:-1] + ("1" if rows[2][col][-1] != "1" else "2")
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def upload(client: Client, files: dict[str, bytes], **extra) -> object:
    data = {name: SimpleUploadedFile(f"{name}-upload.csv", content) for name, content in files.items()}
    return client.post("/transfer/", {**data, **extra})


def test_clerk_uploads_and_sees_the_result(client: Client, users, files, data_dir):
    client.force_login(users["clerk"])
    assert 'href="/transfer/"' in client.get("/households/").content.decode()  # the nav link
    response = upload(client, {"households": files["households"], "members": files["members"]}, year="2020")
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert response["Location"] == f"/transfer/jobs/{job.pk}/"
    assert job.status == ImportJob.Status.DONE and job.written and job.counts["households_unchanged"] == 1
    assert job.households_name == "households-upload.csv"
    assert not (job.directory / "households.csv").exists()  # the upload is deleted once imported
    page = client.get(response["Location"]).content.decode()
    assert "完成" in page and "未变农户" in page and "hx-trigger" not in page


@override_settings(TASKS=IMMEDIATE, SUNSHINE_IMPORT_SYNC_BYTES=0)
def test_queued_upload_with_errors_shows_error_table_and_report(client: Client, users, files):
    client.force_login(users["clerk"])
    households = Household.objects.count()
    response = upload(client, {"households": files["households"], "members": with_bad_id(files["members"])})
    job = ImportJob.objects.get()
    assert job.task_id and job.status == ImportJob.Status.DONE
    assert not job.written and job.error_count == 1 and Household.objects.count() == households
    page = client.get(response["Location"]).content.decode()
    assert "发现 1 处错误" in page and "未写入任何数据" in page
    assert "members-upload.csv" in page and "身份证号" in page
    assert not FULL_ID.search(page.split('data-testid="errors"')[1])
    report = client.get(f"/transfer/jobs/{job.pk}/errors/?format=csv")
    assert report.status_code == 200
    lines = report.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "文件,工作表,行,列,值,说明" and lines[1].startswith("members-upload.csv,,3,身份证号,")
    assert client.get(f"/transfer/jobs/{job.pk}/errors/?format=xlsx").status_code == 200


def test_job_page_polls_while_running(client: Client, users):
    client.force_login(users["clerk"])
    job = ImportJob.objects.create(user=users["clerk"], status=ImportJob.Status.RUNNING,
                                   households_name="h.csv", members_name="m.csv",
                                   **jobs.claim())  # run by a live process (this one)
    job.report_progress(42, "写入数据库")
    body = client.get(f"/transfer/jobs/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in body and 'value="42"' in body and "写入数据库" in body
    assert "<html" not in body  # the partial only


def test_jobs_belong_to_their_creator(client: Client, users):
    job = ImportJob.objects.create(user=users["clerk"], status=ImportJob.Status.DONE)
    client.force_login(users["clerk_b"])
    assert client.get(f"/transfer/jobs/{job.pk}/").status_code == 404
    assert client.get(f"/transfer/jobs/{job.pk}/errors/").status_code == 404
    client.force_login(users["county"])
    assert client.get(f"/transfer/jobs/{job.pk}/").status_code == 404


def test_roles_that_may_not_edit_cannot_upload(client: Client, users, files):
    client.force_login(users["supervisor"])
    page = client.get("/transfer/").content.decode()
    assert 'data-testid="import-form"' not in page
    assert upload(client, {"households": files["households"], "members": files["members"]}).status_code == 403
    assert not ImportJob.objects.exists()


def test_upload_form_requires_both_files(client: Client, users, files):
    client.force_login(users["clerk"])
    response = upload(client, {"households": files["households"]})
    assert response.status_code == 200 and "需同时上传" in response.content.decode()


def test_clerk_of_village_a_uploading_village_b_gets_errors_and_nothing_written(client: Client, users, household_b,
                                                                                tmp_path):
    paths = export_year(2020, tmp_path / "b", "csv", division=f.VILLAGE_B, unmasked=True)
    history = HouseholdYear.history.count()
    client.force_login(users["clerk"])
    upload(client, {"households": paths["households"].read_bytes(), "members": paths["members"].read_bytes()},
           partial="on")
    job = ImportJob.objects.get()
    assert job.error_count == 1 and job.errors[0][3] == "区划代码" and "管辖范围" in job.errors[0][5]
    assert job.counts["households_skipped"] == 1 and HouseholdYear.history.count() == history


def _zip(response) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    return {name: archive.read(name) for name in archive.namelist()}


def test_masked_role_gets_masked_export_and_it_is_logged(client: Client, users, household_a):
    client.force_login(users["clerk"])
    response = client.get("/export/households/?year=2020&format=csv")
    assert response.status_code == 200 and "脱敏" in unquote(response["Content-Disposition"])
    content = _zip(response)
    assert set(content) == {"households.csv", "members.csv"}
    text = content["members.csv"].decode("utf-8-sig")
    assert household_a.household.household_no in text
    assert not FULL_ID.search(text) and "********" in text
    log = AccessLog.objects.get(user=users["clerk"], action=AccessAction.EXPORT)
    assert log.object_type == "household_list" and "脱敏" in log.detail


def test_full_role_gets_full_year_export_of_its_scope(client: Client, users, household_a, household_b):
    client.force_login(users["county"])
    response = client.get("/export/year/?year=2020&format=csv")
    content = _zip(response)
    assert set(content) == {"households.csv", "members.csv", "villages.csv"}
    text = content["households.csv"].decode("utf-8-sig")
    assert household_a.head_id_number in text and household_b.head_id_number in text
    assert AccessLog.objects.filter(user=users["county"], action=AccessAction.EXPORT,
                                    object_type="registry_year").exists()
    client.force_login(users["supervisor"])  # a full role that may not edit: may export, no nav link
    assert "脱敏" not in unquote(client.get("/export/year/?year=2020&format=csv")["Content-Disposition"])
    assert 'href="/transfer/"' not in client.get("/households/").content.decode()


def test_year_export_stays_within_the_readers_scope(client: Client, users, household_a, household_b):
    client.force_login(users["clerk"])
    text = _zip(client.get("/export/year/?year=2020&format=csv"))["households.csv"].decode("utf-8-sig")
    assert household_a.household.household_no in text and household_b.household.household_no not in text
    assert client.get(f"/export/year/?year=2020&format=csv&division={f.VILLAGE_B}").status_code == 404
    assert client.get("/export/year/?format=exe").status_code == 404


def test_filtered_export_follows_the_list_filters(client: Client, users, household_a):
    other = f.make_household(users["county"], village=f.VILLAGE_A, status="exited", exit_year=2019)
    client.force_login(users["county"])
    text = _zip(client.get("/export/households/?year=2020&status=exited&format=csv"))["households.csv"].decode(
        "utf-8-sig")
    assert other.household.household_no in text and household_a.household.household_no not in text


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_templates_download(client: Client, users, fmt):
    client.force_login(users["clerk"])
    response = client.get(f"/export/template/?kind=members&format={fmt}")
    assert response.status_code == 200 and response.content
    if fmt == "csv":
        assert response.content.decode("utf-8-sig").startswith("户编号,年度,姓名,身份证号")
    assert client.get("/export/template/?kind=nope").status_code == 404


def test_import_page_round_trip_of_a_full_export(client: Client, users, household_a, household_b):
    """What a county manager exports, it can import again unchanged."""
    client.force_login(users["county"])
    content = _zip(client.get("/export/year/?year=2020&format=xlsx"))
    history = HouseholdYear.history.count()
    data = {name.split(".")[0]: SimpleUploadedFile(name, body) for name, body in content.items()}
    client.post("/transfer/", data)
    job = ImportJob.objects.get()
    assert job.error_count == 0 and job.counts["households_unchanged"] == 2, job.errors
    assert HouseholdYear.history.count() == history
    assert Path(job.directory).is_dir()


def test_a_file_that_cannot_be_read_fails_the_job_with_a_message(client: Client, users, files):
    client.force_login(users["clerk"])
    data = {"households": SimpleUploadedFile("h.xlsx", b"not a workbook"),
            "members": SimpleUploadedFile("m.csv", files["members"])}
    response = client.post("/transfer/", data)
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED and "h.xlsx" in job.message
    page = client.get(response["Location"]).content.decode()
    assert "失败" in page and "h.xlsx" in page


def test_village_file_alone_from_the_page(client: Client, users):
    client.force_login(users["clerk"])
    content = "区划代码,年度,村名,村集体经济收入\n320321101001,2020,甲一村,30000.00\n".encode("utf-8-sig")
    client.post("/transfer/", {"villages": SimpleUploadedFile("村.csv", content)})
    job = ImportJob.objects.get()
    assert job.kind == ImportJob.Kind.VILLAGES and job.status == ImportJob.Status.DONE, job.message
    assert job.counts["villages_written"] == 1 and "村年度信息写入 1 条" in job.message
