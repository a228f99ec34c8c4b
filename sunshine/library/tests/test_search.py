"""The search on whichever database the tests run on (SQLite: FTS5; PostgreSQL: tsvector + GIN)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sunshine.library import segment
from sunshine.library.choices import DocumentStatus, Level
from sunshine.library.models import PolicyDocument
from sunshine.library.search import Filters, search, snippet

from .helpers import doc

pytestmark = pytest.mark.django_db

FILLER = "各地要统筹推进乡村振兴各项工作,加强组织领导,落实工作责任。"


def test_short_document_about_a_term_ranks_before_a_long_one_mentioning_it_once():
    long = doc("农村公路建设管理办法", FILLER * 60 + "可以使用光伏扶贫收益。" + FILLER * 60)
    short = doc("光伏扶贫电站管理", "光伏扶贫电站收益用于村级公益岗位。光伏扶贫电站由村集体管护。")
    hits = search("光伏").hits
    assert [h.document.pk for h in hits] == [short.pk, long.pk]
    assert hits[0].score > hits[1].score


def test_title_weighs_more_than_body():
    in_body = doc("农村公路建设", FILLER + "消费扶贫" + FILLER)
    in_title = doc("消费扶贫行动方案", FILLER + "推进各项工作" + FILLER)
    assert [h.document.pk for h in search("消费扶贫").hits] == [in_title.pk, in_body.pk]


@pytest.mark.parametrize("query", ["小额信贷", "小额 信贷", "扶贫小额信贷", "小额,信贷", " 小额\u3000信贷 "])
def test_phrase_with_and_without_spaces_finds_the_same_documents(query):
    joined = doc("关于进一步规范扶贫小额信贷的通知", "扶贫小额信贷坚持“5万元以下、3年期以内、免担保免抵押”。")
    spaced = doc("金融扶贫问答", "问:小额 信贷怎么申请?答:向村委会提出。")
    doc("农村公路建设", FILLER)
    assert {h.document.pk for h in search(query).hits} == {joined.pk, spaced.pk}


def test_no_hit_gives_an_empty_list():
    doc("农村公路建设", FILLER)
    results = search("量子计算机")
    assert results.total == 0 and results.hits == []


SYNTAX = ['"', '""', "*", "NEAR", "NEAR(扶贫 信贷, 2)", "'", "''", "AND OR NOT", "(", ")", ":", "title:扶贫", "\\",
          "^扶贫", "扶贫*", "-扶贫", "扶贫 & 信贷 | !x", "'; DROP TABLE library_policydocument; --", "<mark>", "",
          "   ", ",。!?", "\x01", "扶贫" * 500, "扶" * 1000, "小额 信贷 " * 100]


@pytest.mark.parametrize("query", SYNTAX)
def test_syntax_characters_long_and_empty_queries_never_fail(query):
    doc("关于进一步规范扶贫小额信贷的通知", "扶贫小额信贷坚持免担保免抵押。<mark>不是标记</mark>")
    results = search(query)
    assert results.total == len(results.hits)
    for hit in results.hits:
        assert "<mark>不是标记" not in hit.snippet  # the document's own markup is escaped


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=60))
def test_any_text_is_a_safe_query(text):
    results = search(text)
    assert results.total >= 0


def test_one_thousand_character_query():
    target = doc("扶贫资产管理办法", "扶贫资产确权登记。")
    results = search("扶贫资产" + "测" * 996)
    assert results.total == 0  # every term must be present; none errors
    assert search(("扶贫资产 " * 200)[:1000]).hits[0].document == target


def test_filters_level_issuer_year_status():
    a = doc("省级扶贫小额信贷政策", "扶贫小额信贷", level=Level.PROVINCIAL, issuer="江苏省财政厅",
            issued=dt.date(2019, 5, 1))
    b = doc("县级扶贫小额信贷细则", "扶贫小额信贷", level=Level.COUNTY, issuer="某县扶贫办",
            issued=dt.date(2020, 6, 1))
    c = doc("废止的小额信贷办法", "扶贫小额信贷", level=Level.COUNTY, issuer="某县扶贫办",
            issued=dt.date(2016, 6, 1), status=DocumentStatus.REPEALED)

    def ids(**kw):
        return {h.document.pk for h in search("小额信贷", Filters(**kw)).hits}

    assert ids() == {a.pk, b.pk, c.pk}
    assert ids(level=Level.PROVINCIAL) == {a.pk}
    assert ids(issuer="财政厅") == {a.pk}
    assert ids(year=2020) == {b.pk}
    assert ids(status=DocumentStatus.REPEALED) == {c.pk}
    assert ids(level=Level.COUNTY, status=DocumentStatus.VALID) == {b.pk}
    assert search("小额信贷", Filters(level=Level.NATIONAL)).total == 0


def test_pagination_and_total():
    for i in range(7):
        doc(f"第{i}号光伏扶贫通知", "光伏扶贫" * (i + 1) + FILLER)
    first = search("光伏", limit=3)
    second = search("光伏", limit=3, offset=3)
    assert first.total == second.total == 7
    assert len(first.hits) == len(second.hits) == 3
    assert not {h.document.pk for h in first.hits} & {h.document.pk for h in second.hits}
    assert first.hits[0].score >= first.hits[-1].score >= second.hits[0].score


def test_snippet_is_escaped_with_marks_around_the_hit():
    text = "前言" * 50 + "<b>对象</b>:扶贫小额信贷支持建档立卡户。" + "后记" * 50
    out = snippet(text, segment.query_terms("小额信贷"))
    assert "<mark>小额信贷</mark>" in out and "&lt;b&gt;" in out and "<b>" not in out
    assert out.startswith("…") and out.endswith("…")


def test_query_terms_cover_a_phrase_with_its_smallest_words():
    assert segment.query_terms("扶贫小额信贷") == ["扶贫", "小额", "信贷"]
    assert segment.query_terms("小额 信贷") == segment.query_terms("小额信贷") == ["小额", "信贷"]
    assert segment.query_terms("攻坚战") == ["攻坚战"]
    assert segment.query_terms("的,。") == []
    assert segment.query_terms("ＡＢＣ") == ["abc"]


def test_jieba_and_rjieba_cut_the_same():
    text = "关于打赢打好脱贫攻坚战三年行动的实施意见:扶贫小额信贷、光伏扶贫和以工代赈。"
    segment.use("jieba")
    try:
        by_jieba = (segment.tokens(text), segment.query_terms(text))
    finally:
        segment.use(segment.DEFAULT)
    assert (segment.tokens(text), segment.query_terms(text)) == by_jieba


def test_a_status_change_keeps_the_document_findable():
    from sunshine.library import services

    d = doc("光伏扶贫电站管理", "光伏扶贫电站收益分配。")
    services.set_status(actor=None, document=d, status=DocumentStatus.REPEALED)
    assert [h.document.status for h in search("光伏").hits] == [DocumentStatus.REPEALED]


def test_many_hits_rank_a_bounded_set_of_candidates_title_matches_first(monkeypatch):
    """PostgreSQL ranks at most RANK_CANDIDATES documents (chosen by title match, then length); the count and
    the first hit stay right when there are more hits than that."""
    from sunshine.library import backends

    monkeypatch.setattr(backends, "RANK_CANDIDATES", 2)
    for i in range(4):
        doc(f"农村公路第{i}号通知", "光伏扶贫" + FILLER * (i + 1))
    titled = doc("光伏扶贫电站管理办法", FILLER * 10 + "光伏扶贫")
    results = search("光伏")
    assert results.total == 5 and results.hits[0].document == titled


def test_index_rows_of_vanished_documents_do_not_count():
    """A test database's flush empties the documents but not SQLite's FTS5 table; the next write drops the rest."""
    for i in range(3):
        doc(f"光伏扶贫通知{i}", "光伏扶贫")
    PolicyDocument.objects.all().delete()
    fresh = doc("光伏扶贫新通知", "光伏扶贫")
    results = search("光伏")
    assert results.total == 1 and [h.document for h in results.hits] == [fresh]


def test_postgres_planner_settings_are_restored_after_a_search():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    doc("光伏扶贫电站管理", "光伏扶贫电站收益。")
    assert search("光伏").total == 1
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone()[0] == "on"
