"""The statements PDF and `sunshine statements print`: one or two pages per household (never three), Noto CJK
embedded (no tofu), the Chinese text there, village and year in the header, page numbers per statement, no
full ID number, clear errors, the export in the access log."""

from __future__ import annotations

import io
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from sunshine.core.models import AccessLog
from sunshine.disclosure.models import QueryCode
from sunshine.disclosure.tests.statement_fixtures import every_benefit
from sunshine.registry.models import MemberYear
from sunshine.testing import factories as f

pytestmark = pytest.mark.django_db
ID_RE = re.compile(r"(?<![0-9])\d{17}[0-9X](?![0-9])")


def _print(tmp_path, *args: str) -> tuple[str, PdfReader]:
    out = tmp_path / "v.pdf"
    stdout = StringIO()
    call_command("statements", "print", "--year", "2020", "--out", str(out), *args, stdout=stdout)
    return stdout.getvalue(), PdfReader(io.BytesIO(out.read_bytes()))


def _fonts(reader: PdfReader) -> list[tuple[str, set[str]]]:
    """(BaseFont, the font-file keys of its descriptor) of every font on every page."""
    found = []
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant["/FontDescriptor"].get_object()
            found.append((str(font["/BaseFont"]), {k for k in descriptor if k.startswith("/FontFile")}))
    return found


def test_village_pdf_one_or_two_pages_per_household_with_fonts_header_and_no_id(tmp_path, users, household_a):
    every_benefit(users["county"], household_a, payments=45)      # a long list: flows to a second page
    short = f.make_household(users["county"], village=f.VILLAGE_A, head_name="丙户主", members=2)
    text, reader = _print(tmp_path, "--village", f.VILLAGE_A)
    assert "甲一村 2020年度明白册: 2 户, 3 页" in text and "其中 1 户两页" in text
    assert len(reader.pages) == 3
    pages = [p.extract_text() for p in reader.pages]
    # The long statement on pages 1–2 numbered within itself, the short one on page 3 as 1 of 1.
    assert "第 1 页 / 共 2 页" in pages[0] and "第 2 页 / 共 2 页" in pages[1] and "第 1 页 / 共 1 页" in pages[2]
    for page in pages:
        assert "甲一村 · 2020年度" in page   # the running header (string-set)
    assert "甲户主" in pages[0] and "丙户主" in pages[2] and "政策到户明白册" in pages[0]
    assert "教育资助" in pages[0] and "资产收益分红" in "".join(pages[:2]) and "12317" in pages[2]
    # The query codes are printed (and were made on this first print).
    for number in QueryCode.objects.values_list("code", flat=True):
        assert number in "".join(pages)
    assert QueryCode.objects.count() == 2
    # Noto Sans CJK is embedded for every font used: no missing glyphs drawn as boxes.
    fonts = _fonts(reader)
    assert fonts and all("NotoSansCJK" in re.sub(r"[- ]", "", name) for name, _ in fonts), fonts
    assert all(keys & {"/FontFile2", "/FontFile3"} for _, keys in fonts)
    # No full ID number of any member anywhere in the text.
    ids = set(MemberYear.objects.values_list("person__id_number", flat=True))
    alltext = "".join(pages)
    assert not ID_RE.findall(alltext) and not [i for i in ids if i in alltext]
    assert short.head_id_number[:6] + "*" * 8 + short.head_id_number[14:] in pages[2]
    log = AccessLog.objects.get(object_type="statement_pdf")
    assert log.action == "export" and log.object_ref == f"{f.VILLAGE_A}/2020" and log.user.username == "admin"


def test_a_very_long_list_is_summed_per_item_and_stays_within_two_pages(tmp_path, users, household_a):
    from sunshine.funds.tests import trail_factories as ff

    every_benefit(users["county"], household_a, payments=1)
    for i in range(150):
        ff.pay(household_year=household_a, amount="800.00", item="public_job", period=f"2020-{i % 12 + 1:02d}",
               project=None)
    text, reader = _print(tmp_path, "--household", household_a.household.household_no)
    assert len(reader.pages) <= 2, len(reader.pages)
    body = "".join(p.extract_text() for p in reader.pages)
    assert "公益性岗位补贴(共150笔)" in body and "120,000.00" in body
    assert "总计(元) 131,610.00" in body   # 11,610.00 + 150 × 800.00: nothing lost in the summing


def test_one_household_by_its_number(tmp_path, users, household_a):
    f.make_household(users["county"], village=f.VILLAGE_A, head_name="丙户主")
    text, reader = _print(tmp_path, "--household", household_a.household.household_no)
    assert "1 户, 1 页" in text and len(reader.pages) == 1 and "甲户主" in reader.pages[0].extract_text()


def test_batches_in_worker_processes_give_the_same_pages(users, household_a):
    from sunshine.core.models import Division
    from sunshine.disclosure.statements import pdf
    from sunshine.disclosure.views_statements import village_statements

    for i in range(3):
        f.make_household(users["county"], village=f.VILLAGE_A, head_name=f"户主{i}")
    statements = village_statements(Division.objects.get(code=f.VILLAGE_A), 2020)
    rendered = pdf.render(statements, workers=2, batch=2)
    reader = PdfReader(io.BytesIO(rendered.pdf))
    assert rendered.pages == [1, 1, 1, 1] and len(reader.pages) == 4
    assert [s.head_name in reader.pages[i].extract_text() for i, s in enumerate(statements)] == [True] * 4


def test_clear_errors(tmp_path, users, household_a):
    with pytest.raises(CommandError, match="村不存在: 320321999999"):
        _print(tmp_path, "--village", "320321999999")
    with pytest.raises(CommandError, match="2020 年度没有建档立卡户"):
        _print(tmp_path, "--village", f.VILLAGE_A2)
    with pytest.raises(CommandError, match="不是村"):
        _print(tmp_path, "--village", f.TOWNSHIP_A)
    with pytest.raises(CommandError, match="户编号不存在"):
        _print(tmp_path, "--household", "NOPE")
    with pytest.raises(CommandError, match="无权"):
        _print(tmp_path, "--village", f.VILLAGE_B, "--user", "clerk_a")
    assert not AccessLog.objects.filter(object_type="statement_pdf").exists()
