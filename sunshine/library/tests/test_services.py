"""Adding documents (file or text), versions, status; the seed loaded by init once; the CLI's exact output."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from sunshine.library import services
from sunshine.library.choices import DocumentStatus, Level
from sunshine.library.models import PolicyDocument
from sunshine.library.search import search

from .helpers import doc

pytestmark = pytest.mark.django_db
KEYS = {"title", "document_no", "issuer", "level", "issued", "score", "snippet"}


def test_add_from_file_keeps_the_original_and_writes_history(users):
    d = services.add_document(actor=users["county"], title="光伏扶贫收益分配办法",
                              upload=services.Upload("办法.txt", "光伏扶贫收益分配给村级公益岗位。".encode("gb18030")))
    assert d.source_format == "txt" and d.source_name == "办法.txt" and d.attachment
    assert d.attachment.read().decode("gb18030").startswith("光伏扶贫")
    assert d.history.get().history_user == users["county"]
    assert search("公益岗位").hits[0].document == d


def test_only_writers_may_add(users):
    for role in ("clerk", "township", "supervisor"):
        with pytest.raises(PermissionDenied):
            services.add_document(actor=users[role], title="t", body="正文")
    for role in ("county", "analyst", "admin"):
        assert services.add_document(actor=users[role], title="t", body="正文").pk


def test_bad_input_changes_nothing():
    with pytest.raises(ValidationError) as caught:
        services.add_document(actor=None, title="", body="", level="village")
    assert set(caught.value.message_dict) == {"title", "level", "body"}
    with pytest.raises(ValidationError) as caught:
        services.add_document(actor=None, title="t", upload=services.Upload("a.pdf", b"%PDF-1.4 broken"))
    assert "file" in caught.value.message_dict
    assert not PolicyDocument.objects.exists()


def test_new_version_marks_the_old_one_revised_and_links_both():
    old = doc("光伏扶贫管理办法", "旧的规定:收益按户分配。")
    new = services.add_version(actor=None, previous=old, title="光伏扶贫管理办法(修订)", body="新的规定:收益设岗。")
    old.refresh_from_db()
    assert old.status == DocumentStatus.REVISED and new.supersedes == old and old.replaced_by == new
    with pytest.raises(ValidationError):
        services.add_version(actor=None, previous=old, title="再来一版", body="x")
    with pytest.raises(ValidationError):
        services.set_status(actor=None, document=old, status=DocumentStatus.VALID)


def test_withdraw_and_restore():
    d = doc("t", "正文")
    services.set_status(actor=None, document=d, status=DocumentStatus.REPEALED, reason="已到期")
    d.refresh_from_db()
    assert d.status == DocumentStatus.REPEALED and d.history.first().history_change_reason == "已到期"
    services.set_status(actor=None, document=d, status=DocumentStatus.VALID)
    with pytest.raises(ValidationError):
        services.set_status(actor=None, document=d, status=DocumentStatus.REVISED)


def test_init_loads_the_seed_exactly_once(capsys):
    call_command("init", verbosity=0)
    call_command("init", verbosity=0)
    seed = PolicyDocument.objects.get()
    assert seed.title == "关于打赢打好脱贫攻坚战三年行动的实施意见" and seed.issuer == "中共江苏省委 江苏省人民政府"
    assert seed.level == Level.PROVINCIAL and str(seed.issued) == "2018-10-14" and seed.status == DocumentStatus.VALID
    assert seed.body.startswith("关于打赢打好脱贫攻坚战三年行动的实施意见") and "全文检索" not in seed.body[:40]
    found = search("小额信贷").hits
    assert [h.document for h in found] == [seed] and "<mark>" in found[0].snippet


def test_cli_add_then_search_with_the_exact_keys(tmp_path, capsys):
    path = tmp_path / "细则.txt"
    path.write_text("扶贫小额信贷贴息细则:对建档立卡户给予全额贴息。", encoding="utf-8")
    call_command("policy", "add", str(path), "--title", "扶贫小额信贷贴息细则", "--issuer", "某县财政局",
                 "--number", "某财〔2020〕3号", "--level", "县", "--issued", "2020-04-01")
    new_id = int(capsys.readouterr().out.strip())
    assert PolicyDocument.objects.get(pk=new_id).level == Level.COUNTY
    doc("无关文件", "农村公路建设。")
    call_command("policy", "search", "小额 信贷", "--limit", "5")
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 1 and set(rows[0]) == KEYS
    assert rows[0] | {"score": 0, "snippet": ""} == {
        "title": "扶贫小额信贷贴息细则", "document_no": "某财〔2020〕3号", "issuer": "某县财政局", "level": "县",
        "issued": "2020-04-01", "score": 0, "snippet": ""}
    assert isinstance(rows[0]["score"], float) and "<mark>小额信贷</mark>" in rows[0]["snippet"]
    out = tmp_path / "out.json"
    call_command("policy", "search", "量子计算", "--out", str(out))
    assert json.loads(out.read_text(encoding="utf-8")) == []


def test_cli_search_is_best_first_and_limited(tmp_path, capsys):
    for i in range(4):
        doc(f"光伏扶贫通知{i}", "光伏扶贫" * (i + 1) + "农村公路建设。" * 20)
    call_command("policy", "search", "光伏", "--limit", "3")
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 3 and [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    assert rows[0]["title"] == "光伏扶贫通知3"


@pytest.mark.parametrize(("args", "message"), [
    (["add", "/nonexistent.txt", "--title", "t"], "文件不存在"),
    (["add", "{txt}", "--title", "t", "--level", "村"], "层级"),
    (["add", "{txt}", "--title", "t", "--issued", "2020-13-01"], "日期"),
    (["add", "{empty}", "--title", "t"], "空的"),
    (["add", "{txt}", "--title", " "], "标题"),
    (["search", "x", "--limit", "0"], "limit"),
    (["search", "x", "--status", "作废"], "状态"),
])
def test_cli_errors_are_clear(tmp_path, args, message):
    (tmp_path / "a.txt").write_text("正文", encoding="utf-8")
    (tmp_path / "e.txt").write_bytes(b"")
    args = [a.format(txt=tmp_path / "a.txt", empty=tmp_path / "e.txt") for a in args]
    with pytest.raises(CommandError, match=message):
        call_command("policy", *args)
    assert not PolicyDocument.objects.exists()


def test_reindex_rebuilds_the_index():
    d = doc("光伏扶贫电站管理", "光伏扶贫电站收益。")
    call_command("policy", "reindex")
    assert [h.document for h in search("光伏").hits] == [d]
