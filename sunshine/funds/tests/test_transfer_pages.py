"""The funds files page: county managers upload (a small file imported within the request), see counts or
every error with row and column and download the report; templates; an upload is its creator's only."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from sunshine.core.ids import mask_id_number
from sunshine.funds.models import Fund, VillageCadre
from sunshine.funds.models_transfer import FundsUpload
from sunshine.testing import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"


def csv_file(name: str, headers: list[str], rows: list[list[object]]) -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode("gb18030"), content_type="text/csv")


FUND_HEADERS = ["资金编号", "文号", "资金来源", "年度", "下达日期", "金额"]


def test_county_manager_uploads_and_sees_counts(client, users, settings):
    client.force_login(users["county"])
    page = client.get(reverse("funds_upload"))
    assert page.status_code == 200 and "所属县" not in page.content.decode()   # the county is the user's
    file = csv_file("funds.csv", FUND_HEADERS, [["ZJ1", "文1", "中央财政", 2020, "2020-01-05", "1000"]])
    response = client.post(reverse("funds_upload"), {"kind": "funds", "file": file})
    job = FundsUpload.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("funds_upload_job", args=[job.pk])
    assert (job.status, job.written, job.counts["created"]) == ("done", True, 1)
    assert Fund.objects.get().county_id == f.COUNTY
    body = client.get(response["Location"]).content.decode()
    assert 'data-testid="created">1<' in body and "新增 1 条" in body
    assert not list((Path(settings.DATA_DIR) / "funds_uploads" / str(job.pk)).glob("upload*"))  # deleted once read


def test_errors_are_listed_masked_and_downloadable(client, users):
    client.force_login(users["county"])
    number = f.new_id()
    file = csv_file("cadres.csv", ["身份证号", "姓名", "区划代码", "职务", "任职开始"],
                    [[number, "王", f.VILLAGE_A, "村长", "2018-01-01"]])
    client.post(reverse("funds_upload"), {"kind": "village_cadres", "file": file})
    job = FundsUpload.objects.get()
    assert (job.written, job.error_count) == (False, 1)
    assert not VillageCadre.objects.exists()
    body = client.get(reverse("funds_upload_job", args=[job.pk])).content.decode()
    assert "职务" in body and "未导入任何数据" in body and number not in body
    report = client.get(reverse("funds_upload_errors", args=[job.pk]) + "?format=xlsx")
    assert report.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(report.content)).active
    assert [c.value for c in sheet[2]][2:4] == [2, "职务"]
    # Another user never sees the upload.
    client.force_login(users["admin"])
    assert client.get(reverse("funds_upload_job", args=[job.pk])).status_code == 404
    assert client.get(reverse("funds_upload_errors", args=[job.pk])).status_code == 404
    assert mask_id_number(number) != number


def test_admin_picks_a_county_and_others_are_refused(client, users):
    client.force_login(users["admin"])
    assert "所属县" in client.get(reverse("funds_upload")).content.decode()
    file = csv_file("funds.csv", FUND_HEADERS, [["ZJ1", "文1", "中央财政", 2020, "2020-01-05", "1000"]])
    client.post(reverse("funds_upload"), {"kind": "funds", "file": file, "county": f.COUNTY})
    assert Fund.objects.get().county_id == f.COUNTY
    for role in ("township", "analyst", "clerk"):
        client.force_login(users[role])
        assert client.get(reverse("funds_upload")).status_code == 403
        assert client.get(reverse("funds_template") + "?kind=funds").status_code == 403


def test_templates_download(client, users):
    client.force_login(users["county"])
    response = client.get(reverse("funds_template") + "?kind=payments")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.worksheets[0]["A1"].value == "发放编号"
    assert client.get(reverse("funds_template") + "?kind=nope").status_code == 404
    csv_response = client.get(reverse("funds_template") + "?kind=funds&format=csv")
    assert csv_response.content.decode("utf-8-sig").startswith("资金编号")


def test_a_running_upload_whose_process_died_is_marked_failed(client, users):
    """The core job pattern: the status page recovers an upload left running by a killed web worker."""
    from sunshine.core import jobs

    job = FundsUpload.objects.create(user=users["county"], kind="funds", file_name="x.csv", status="running",
                                     worker_host=jobs.host_name(), worker_pid=2**22 + 7)
    client.force_login(users["county"])
    body = client.get(reverse("funds_upload_job", args=[job.pk])).content.decode()
    job.refresh_from_db()
    assert job.status == "failed" and "任务中断" in body
