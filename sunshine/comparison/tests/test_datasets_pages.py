"""The department datasets page: the list for every role, uploads by the roles that may load (in the request, or
queued on the immediate task backend), the upload page with progress, masked errors and the report, uploads
private to their creator, 403 for a village clerk."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from sunshine.comparison.choices import JobStatus
from sunshine.comparison.datasets import samples as s
from sunshine.comparison.models import DatasetLoad, DatasetUpload
from sunshine.comparison.tasks_datasets import upload_dir
from sunshine.core import jobs
from sunshine.core.models import AccessLog, User
from sunshine.testing.factories import new_id

pytestmark = pytest.mark.django_db
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
FULL_ID = re.compile(r"(?<![0-9])\d{17}[0-9X](?![0-9])")
HEADERS = ["身份证号", "姓名", "死亡日期", "出生日期"]


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR


@pytest.fixture
def deaths(tmp_path) -> bytes:
    rows = [[new_id(), "张三", "2020-01-02", ""], [new_id(male=False), "李四", "2020-02-03", ""],
            ["", "王五", "2020-03-04", ""]]
    return s.write_csv(tmp_path / "deaths.csv", HEADERS, rows).read_bytes()


@pytest.fixture
def bad_deaths(tmp_path) -> tuple[bytes, str]:
    number = new_id(dt.date(1960, 3, 3))
    rows = [[new_id(), "张三", "2020-01-02", ""], [number, "李四", "昨天", "1961-01-01"]]
    return s.write_csv(tmp_path / "bad.csv", HEADERS, rows).read_bytes(), number


def upload(client: Client, content: bytes, name: str = "死亡名单.csv", **extra):
    return client.post("/comparison/datasets/", {"dataset": "deaths", "file": SimpleUploadedFile(name, content),
                                                 **extra})


def test_every_role_sees_the_thirteen_datasets(client: Client, users):
    for role in ("clerk", "township", "supervisor", "analyst"):
        client.force_login(users[role])
        page = client.get("/comparison/datasets/").content.decode()
        assert page.count("data-dataset=") == 13 and "医保参保" in page and "尚未导入" in page
        assert ('data-testid="dataset-upload-form"' in page) == (role == "analyst"), role
    nobody = User.objects.create(username="norole", roles=[])
    client.force_login(nobody)
    assert client.get("/comparison/datasets/").status_code == 403
    client.logout()
    assert client.get("/comparison/datasets/").status_code == 302


@pytest.mark.parametrize("role", ["county", "analyst", "admin"])
def test_allowed_roles_upload_and_see_the_result(client: Client, users, deaths, data_dir, role):
    client.force_login(users[role])
    response = upload(client, deaths, as_of="2020-12-31")
    upload_row = DatasetUpload.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/comparison/datasets/uploads/{upload_row.pk}/"
    load = DatasetLoad.objects.get()
    assert upload_row.status == JobStatus.DONE and upload_row.load == load and upload_row.progress == 100
    assert (load.rows, load.invalid_ids, load.as_of, load.loaded_by) == (3, 1, dt.date(2020, 12, 31), users[role])
    assert load.file_name == "死亡名单.csv"
    assert not (data_dir / upload_row.path).exists()  # the upload is deleted once loaded
    page = client.get(response["Location"]).content.decode()
    assert "完成" in page and 'data-testid="rows">3<' in page and 'data-testid="invalid-ids">1<' in page
    assert "hx-trigger" not in page
    listing = client.get("/comparison/datasets/").content.decode()
    row = listing.split('data-dataset="deaths"')[1].split("</tr>")[0]
    assert "v1" in row and "2020-12-31" in row
    assert AccessLog.objects.filter(user=users[role], object_type="dataset_load").count() == 1


def test_a_village_clerk_may_not_upload(client: Client, users, deaths):
    client.force_login(users["clerk"])
    assert upload(client, deaths).status_code == 403
    assert not DatasetUpload.objects.exists() and not DatasetLoad.objects.exists()


@override_settings(TASKS=IMMEDIATE, SUNSHINE_IMPORT_SYNC_BYTES=0)
def test_queued_upload_with_errors_shows_masked_errors_and_the_report(client: Client, users, bad_deaths):
    content, number = bad_deaths
    client.force_login(users["county"])
    response = upload(client, content, name="bad.csv")
    upload_row = DatasetUpload.objects.get()
    assert upload_row.task_id and upload_row.status == JobStatus.DONE
    assert upload_row.load is None and upload_row.error_count == 2 and not DatasetLoad.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "发现 2 处错误" in page and "未导入任何数据" in page
    table = page.split('data-testid="errors"')[1]
    assert "bad.csv" in table and "死亡日期" in table and "出生日期与身份证号不符" in table
    assert not FULL_ID.search(table) and number not in page
    report = client.get(f"/comparison/datasets/uploads/{upload_row.pk}/errors/?format=csv")
    lines = report.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "文件,工作表,行,列,值,说明" and lines[1].startswith("bad.csv,,3,出生日期,1961-01-01,")
    assert lines[2] == "bad.csv,,3,死亡日期,昨天,\"应为日期,格式 YYYY-MM-DD(如 2020-05-17)\""
    assert client.get(f"/comparison/datasets/uploads/{upload_row.pk}/errors/?format=xlsx").status_code == 200


@override_settings(TASKS=IMMEDIATE)
def test_partial_upload(client: Client, users, bad_deaths):
    client.force_login(users["county"])
    upload(client, bad_deaths[0], partial="on")
    load = DatasetLoad.objects.get()
    assert (load.rows, load.rejected_rows) == (1, 1)
    page = client.get(f"/comparison/datasets/uploads/{DatasetUpload.objects.get().pk}/").content.decode()
    assert "有错误的行已跳过" in page


def test_upload_page_polls_while_running(client: Client, users):
    client.force_login(users["county"])
    running = DatasetUpload.objects.create(user=users["county"], dataset="deaths", file_name="d.csv",
                                           status=JobStatus.RUNNING, progress=42, message="校验数据",
                                           **jobs.claim())  # run by a live process (this one)
    body = client.get(f"/comparison/datasets/uploads/{running.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in body and 'value="42"' in body and "校验数据" in body and "<html" not in body


def test_uploads_belong_to_their_creator(client: Client, users, tmp_path):
    mine = DatasetUpload.objects.create(user=users["county"], dataset="deaths", file_name="d.csv",
                                        status=JobStatus.DONE, error_count=1)
    upload_dir(mine).mkdir(parents=True)
    (upload_dir(mine) / "errors.csv").write_text("x", encoding="utf-8")
    client.force_login(users["county"])
    assert client.get(f"/comparison/datasets/uploads/{mine.pk}/errors/").status_code == 200
    assert client.post(f"/comparison/datasets/uploads/{mine.pk}/").status_code == 403
    for other in ("analyst", "admin", "clerk"):
        client.force_login(users[other])
        assert client.get(f"/comparison/datasets/uploads/{mine.pk}/").status_code == 404
        assert client.get(f"/comparison/datasets/uploads/{mine.pk}/errors/").status_code == 404


def test_a_bad_file_type_is_refused_by_the_form(client: Client, users):
    client.force_login(users["county"])
    response = upload(client, b"x", name="deaths.txt")
    assert response.status_code == 200 and "文件类型应为" in response.content.decode()
    assert not DatasetUpload.objects.exists()
