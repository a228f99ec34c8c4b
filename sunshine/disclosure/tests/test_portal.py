"""The public portal: landing page by county (key counties marked), county → township → village pages with
breadcrumbs, what a village announces now and what it announced before, 404 for anything that is not a public
county, township or village; and the short public-page cache (never for a page with a form token or a message)."""

from __future__ import annotations

import pytest
from django.test import Client

from sunshine.core.models import Division
from sunshine.disclosure.portal import cache
from sunshine.disclosure.tests import portal_village
from sunshine.funds.models import Announcement
from sunshine.testing import factories as f
from sunshine.workflow.tests import factories as wf

pytestmark = pytest.mark.django_db


@pytest.fixture
def village(users):
    return portal_village.build(users)


def test_landing_lists_counties_key_marked_links_and_now(client: Client, village):
    body = client.get("/public/").content.decode()
    assert 'href="/public/divisions/320321000000/"' in body and "丰县" in body
    key_counties = Division.objects.filter(level="county", is_key_county=True).count()
    assert key_counties == 12 and body.count('data-testid="key-county"') == key_counties   # 丰县 is one
    assert 'href="/public/statements/"' in body and 'href="/public/policies/"' in body and "12317" in body
    now = body.split('data-testid="now"', 1)[1].split("</section>", 1)[0]
    assert f'/public/divisions/{f.VILLAGE_A}/' in now and f"/public/projects/announcements/{village.current.pk}/" in now
    assert f"/public/projects/announcements/{village.past.pk}/" not in now   # ended: not "now"
    nav = body.split('data-testid="public-nav"', 1)[1].split("</nav>", 1)[0]
    for label in ("首页", "扶贫对象公示", "项目公告", "政策文件", "明白册查询", "12317"):
        assert label in nav
    assert 'class="skip-link" href="#main"' in body and 'class="brand" href="/public/"' in body


def test_county_township_village_chain_with_breadcrumbs(client: Client, village):
    county = client.get(f"/public/divisions/{f.COUNTY}/").content.decode()
    assert f'href="/public/divisions/{f.TOWNSHIP_A}/"' in county and "测试甲镇" in county
    # the county project's ended result announcement stays public on the county page
    assert f"/public/projects/announcements/{village.past.pk}/" in county
    township = client.get(f"/public/divisions/{f.TOWNSHIP_A}/").content.decode()
    assert f'href="/public/divisions/{f.VILLAGE_A}/"' in township and "甲二村" in township
    crumbs = township.split('data-testid="breadcrumbs"', 1)[1].split("</nav>", 1)[0]
    assert "江苏" in crumbs and f'href="/public/divisions/{f.COUNTY}/"' in crumbs and "测试甲镇" in crumbs


def test_village_page_now_and_before(client: Client, village):
    body = client.get(f"/public/divisions/{f.VILLAGE_A}/").content.decode()
    now = body.split('data-testid="now"', 1)[1].split("</section>", 1)[0]
    past = body.split('data-testid="past"', 1)[1].split("</section>", 1)[0]
    assert f'data-case="{village.case.pk}"' in now and "王*明" in now and f"/public/notices/{f.VILLAGE_A}/" in now
    assert f"/public/projects/announcements/{village.current.pk}/" in now
    assert f"/public/dividends/{f.VILLAGE_A}/2020/" in now and f"/public/dividends/{f.VILLAGE_A}/2019/" in past
    # the county project concerns the village (its households benefit): its ended announcement is "before"
    assert f"/public/projects/announcements/{village.past.pk}/" in past
    assert 'data-testid="self-query"' in body and 'href="/public/policies/"' in body
    crumbs = body.split('data-testid="breadcrumbs"', 1)[1].split("</nav>", 1)[0]
    assert "丰县" in crumbs and "测试甲镇" in crumbs and "甲一村" in crumbs
    # a notice whose period ended is gone from the page (公示期满即撤下), by design
    wf.end_notice(village.case)
    body = client.get(f"/public/divisions/{f.VILLAGE_A}/").content.decode()
    assert f'data-case="{village.case.pk}"' not in body


def test_other_village_does_not_show_this_villages_project(client: Client, village):
    body = client.get(f"/public/divisions/{f.VILLAGE_B}/").content.decode()
    assert f"/public/projects/announcements/{village.current.pk}/" not in body
    assert f"/public/projects/announcements/{village.past.pk}/" not in body
    assert "本村目前没有正在公示的内容" in body


@pytest.mark.parametrize("code", ["999999999999", "320000000000", "320300000000", "32032110100", "3203211010011",
                                  "abc", "320321101001999"])
def test_unknown_or_non_public_division_is_404(client: Client, region, code):
    assert client.get(f"/public/divisions/{code}/").status_code == 404


def test_pages_are_public_and_need_no_javascript(client: Client, village):
    for url in ("/public/", f"/public/divisions/{f.COUNTY}/", f"/public/divisions/{f.VILLAGE_A}/"):
        response = client.get(url)
        assert response.status_code == 200
        assert b"<script" not in response.content and b'style="' not in response.content


@pytest.fixture
def cache_on(settings):
    settings.SUNSHINE_PUBLIC_CACHE_SECONDS = 60
    cache.clear()
    yield 60
    cache.clear()


def test_cache_serves_the_stored_page_and_sets_cache_control(client: Client, village, cache_on,
                                                              django_assert_num_queries):
    first = client.get(f"/public/divisions/{f.VILLAGE_A}/")
    assert first["Cache-Control"] == "public, max-age=60"
    Announcement.objects.filter(pk=village.current.pk).update(title="改过的标题")
    with django_assert_num_queries(0):
        again = client.get(f"/public/divisions/{f.VILLAGE_A}/")
    assert again.content == first.content and again["Cache-Control"] == "public, max-age=60"
    assert "Content-Security-Policy" in again and again["X-Frame-Options"] == "DENY"   # headers still added
    assert client.head(f"/public/divisions/{f.VILLAGE_A}/").status_code == 200
    cache.clear()
    assert "改过的标题" in client.get(f"/public/divisions/{f.VILLAGE_A}/").content.decode()


def test_cache_off_is_fresh_and_not_public(client: Client, village, settings):
    settings.SUNSHINE_PUBLIC_CACHE_SECONDS = 0
    first = client.get("/public/")
    assert "public" not in first.get("Cache-Control", "")
    Announcement.objects.filter(pk=village.current.pk).update(title="改过的标题")
    assert "改过的标题" in client.get("/public/").content.decode()


def test_logged_in_reader_is_never_served_or_stored(client: Client, users, village, cache_on):
    client.force_login(users["clerk"])
    response = client.get("/public/")
    assert "no-store" in response["Cache-Control"]
    Announcement.objects.filter(pk=village.current.pk).update(title="改过的标题")
    assert "改过的标题" in client.get("/public/").content.decode()


def test_a_page_with_a_form_token_or_a_message_is_never_cached(client: Client, village, cache_on):
    url = f"/public/projects/announcements/{village.current.pk}/"
    response = client.get(url)
    assert b"csrfmiddlewaretoken" in response.content and "public" not in response.get("Cache-Control", "")
    other = Client()
    token_a = response.content.split(b'name="csrfmiddlewaretoken" value="', 1)[1].split(b'"', 1)[0]
    token_b = other.get(url).content.split(b'name="csrfmiddlewaretoken" value="', 1)[1].split(b'"', 1)[0]
    assert token_a != token_b
    # a "thank you" after post/redirect/get is this visitor's own page; the next visitor sees none
    posted = client.post(url, {"kind": "comment", "text": "路面质量很好,感谢"}, REMOTE_ADDR="10.9.9.9")
    assert posted.status_code == 302
    assert 'data-testid="thanks"' in client.get(url).content.decode()
    assert 'data-testid="thanks"' not in other.get(url).content.decode()
    notices = f"/public/notices/{f.VILLAGE_A}/"
    assert other.get(notices)["Cache-Control"] == "public, max-age=60"
