"""The one pager every list includes (templates/_pager.html)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.template.loader import render_to_string


def test_pager_keeps_the_filters_and_says_where_you_are():
    page = Paginator(list(range(120)), 50).page(2)
    html = render_to_string("_pager.html", {"page": page, "query": "status=pending&village=320321101201"})
    assert 'href="?status=pending&amp;village=320321101201&amp;page=1"' in html
    assert 'href="?status=pending&amp;village=320321101201&amp;page=3"' in html
    assert "第 2/3 页" in html and 'aria-label="分页"' in html


def test_pager_without_filters_and_on_a_single_page():
    html = render_to_string("_pager.html", {"page": Paginator(list(range(120)), 50).page(1)})
    assert 'href="?page=2"' in html and "上一页" not in html
    assert "pager" not in render_to_string("_pager.html", {"page": Paginator([1, 2], 50).page(1)})
