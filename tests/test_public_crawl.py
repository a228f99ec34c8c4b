"""Nothing services.md §1 forbids is ever public. A village with everything (ID numbers, phones, birth dates,
illness and disability, incomes, a notice, announcements, dividends, a loan) is built; then every URL reachable
from /public/ is crawled (every same-site link under /public/, every GET form submitted once) and each page is
searched for ID numbers (full, masked or merely ID-shaped), phones (full or masked), members' birth dates, a
household's income next to its name, and a health or disability word near a person's name.

Every form found on the crawled pages must be rate-limited: submitted more often than its (lowered) limit, it
answers 429."""

from __future__ import annotations

import html
import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django.test import Client

from sunshine.disclosure.tests import portal_village
from sunshine.testing import factories as f
from sunshine.workflow.views_common import mask_name

pytestmark = pytest.mark.django_db

HEALTH_WORDS = ("残疾", "重病", "大病", "慢性病", "患病", "失能", "精神", "智力", "视力", "听力", "肢体", "病")
NEAR = 30
ID_SHAPED = re.compile(r"(?<![\dA-Za-z])(?:\d{17}[\dXx]|\d{15})(?![\dA-Za-z])")
MASKED_ID = re.compile(r"(?<![\dA-Za-z*])\d{3,6}\*{4,12}\d{0,3}[\dXx](?![\dA-Za-z*])")
PHONE_SHAPED = re.compile(r"(?<!\d)1[3-9]\d(?:\d{4}|\*{4})\d{4}(?!\d)")
MAX_PAGES = 400


class _Page(HTMLParser):
    """The links and forms of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = {"action": a.get("action", ""), "method": a.get("method", "get").lower(), "fields": {},
                          "selects": {}}
            self.forms.append(self._form)
        elif self._form is not None and tag == "input" and a.get("name"):
            if a.get("type") in ("radio", "checkbox"):
                self._form["fields"].setdefault(a["name"], a.get("value", "on"))
            elif a.get("type") not in ("submit", "button", "file"):
                self._form["fields"][a["name"]] = a.get("value", "")
        elif self._form is not None and tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._form["fields"][a["name"]] = ""
        elif self._form is not None and tag == "select" and a.get("name"):
            self._select = a["name"]
        elif self._form is not None and tag == "option" and self._select and a.get("value"):
            self._form["selects"].setdefault(self._select, a["value"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _text(body: str) -> str:
    """The page as read: tags removed, entities decoded, whitespace collapsed (so proximity means reading order)."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def _same_site(base: str, href: str) -> str | None:
    url = urljoin(base, html.unescape(href))
    parts = urlsplit(url)
    if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
        return None
    if not parts.path.startswith("/public/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def crawl(client: Client) -> tuple[dict[str, str], list[tuple[str, dict]]]:
    """Every page reachable from /public/ (status 200), and every form seen with the page it was on."""
    seen: dict[str, str] = {}
    forms: list[tuple[str, dict]] = []
    queue = deque(["/public/"])
    queued = {"/public/"}
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        body = response.content.decode()
        seen[url] = body
        page = _Page()
        page.feed(body)
        follow = list(page.links)
        for form in page.forms:
            forms.append((url, form))
            if form["method"] == "get":   # a search: submitted once with what the page offers
                values = {**form["selects"], **form["fields"]}
                values = {k: v or "扶贫" for k, v in values.items() if k != "csrfmiddlewaretoken"}
                follow.append((form["action"] or url).split("?")[0] + "?" + urlencode(values))
        for href in follow:
            target = _same_site(url, href)
            if target and target not in queued:
                queued.add(target)
                queue.append(target)
    return seen, forms


def _name_forms(names: list[str]) -> set[str]:
    return {n for name in names for n in (name, mask_name(name)) if len(n) >= 2}


def _near(text: str, names: set[str], words: list[str]) -> list[str]:
    found = []
    for name in names:
        for m in re.finditer(re.escape(name), text):
            window = text[max(0, m.start() - NEAR):m.end() + NEAR]
            found += [f"{name}…{w}: {window}" for w in words if w in window]
    return found


def _money_forms(amount) -> list[str]:  # noqa: ANN001 - a Decimal
    return [f"{amount:,.2f}", f"{amount:.2f}", f"{int(amount):,}"] if amount else []


def _dates(d) -> list[str]:  # noqa: ANN001 - a date
    return [f"{d:%Y-%m-%d}", f"{d.year}年{d.month}月{d.day}日", f"{d:%Y%m%d}", f"{d:%Y/%m/%d}", f"{d:%Y.%m.%d}"]


def leaks(url: str, body: str, village: portal_village.PublicVillage) -> list[str]:
    text = _text(body)
    problems = []
    for number in village.id_numbers:
        for form in (number, f"{number[:6]}{'*' * 8}{number[-4:]}", f"{number[:3]}{'*' * 11}{number[-4:]}",
                     number[:14]):
            if form in body or form in text:
                problems.append(f"ID number {form}")
    problems += [f"ID-shaped {m}" for m in ID_SHAPED.findall(text)]
    problems += [f"masked ID {m}" for m in MASKED_ID.findall(text)]
    for phone in village.phones:
        for form in (phone, f"{phone[:3]}****{phone[-4:]}"):
            if form in body:
                problems.append(f"phone {form}")
    problems += [f"phone-shaped {m}" for m in PHONE_SHAPED.findall(text)]
    for d in village.birth_dates:
        problems += [f"birth date {s}" for s in _dates(d) if s in text]
    names = _name_forms(village.names)
    problems += [f"health word {p}" for p in _near(text, names, list(HEALTH_WORDS))]
    incomes = [s for amount in village.incomes for s in _money_forms(amount)]
    problems += [f"income {p}" for p in _near(text, names, incomes)]
    return [f"{url}: {p}" for p in problems]


@pytest.fixture
def village(users):
    built = portal_village.build(users)
    try:   # the policy library, once its service exists: a document on the public library too
        from sunshine.library.services import add_document
    except ImportError:
        return built
    add_document(actor=users["county"], title="关于做好扶贫小额信贷工作的通知", issuer="省扶贫办",
                 body="扶贫小额信贷支持建档立卡贫困户发展产业,贷款期限不超过三年。")
    return built


def test_crawl_finds_nothing_forbidden(client: Client, village):
    pages, _forms = crawl(client)
    visited = set(pages)
    expected = {"/public/", f"/public/divisions/{f.COUNTY}/", f"/public/divisions/{f.TOWNSHIP_A}/",
                f"/public/divisions/{f.VILLAGE_A}/", f"/public/notices/{f.VILLAGE_A}/",
                f"/public/projects/announcements/{village.current.pk}/",
                f"/public/projects/announcements/{village.past.pk}/",
                f"/public/dividends/{f.VILLAGE_A}/2020/", f"/public/dividends/{f.VILLAGE_A}/2019/",
                f"/public/notices/{f.VILLAGE_A}/cases/{village.case.pk}/object/", "/public/statements/",
                "/public/policies/"}
    from sunshine.library.models import PolicyDocument

    expected |= {f"/public/policies/{pk}/" for pk in PolicyDocument.objects.values_list("pk", flat=True)}
    assert expected <= visited, expected - visited
    print(f"crawled {len(pages)} public pages")  # noqa: T201 - shown with -s
    # the pages do show the people, masked: the checks below would catch them if they came with forbidden facts
    village_page = _text(pages[f"/public/divisions/{f.VILLAGE_A}/"])
    assert "王*明" in village_page
    assert "王*明" in _text(pages[f"/public/projects/announcements/{village.past.pk}/"])
    problems = [p for url, body in pages.items() for p in leaks(url, body, village)]
    assert not problems, "\n".join(problems[:40])


def test_the_checks_catch_a_leak(village):
    """The detector itself: a page with each forbidden thing is caught (so the crawl cannot pass blind)."""
    number, phone, d = village.id_numbers[0], village.phones[0], village.birth_dates[0]
    samples = [number, f"{number[:6]}********{number[-4:]}", "110101199003071234", f"{phone[:3]}****{phone[-4:]}",
               f"{d.year}年{d.month}月{d.day}日", "王*明 户 肢体残疾二级", "户主 李秀英,家中有人患病",
               f"张*国 工资性收入 {village.incomes[-3]:,.2f}"]
    for sample in samples:
        assert leaks("/x/", f"<p>{sample}</p>", village), sample
    assert not leaks("/x/", "<p>王*明 退出 2020-01-01 预算 500,000.00 元 区划 320321101001</p>", village)


# --- every public form is rate-limited ---------------------------------------------------------------------

# Forms of other services, with the settings that lower their limits (a form not listed gets the generic try).
LOWERED = {"SUNSHINE_OBJECTIONS_PER_ADDRESS_HOUR": 2, "SUNSHINE_OBJECTIONS_PER_CASE_DAY": 3,
           "SUNSHINE_PUBLIC_SEARCHES_PER_MINUTE": 3, "SUNSHINE_SELF_QUERY_TRIES_PER_HOUR": 3}
TRIES = 12


def _filled(form: dict, n: int) -> dict[str, str]:
    values = {**form["selects"], **form["fields"]}
    for key, value in list(values.items()):
        if value:
            continue
        if "tail" in key:        # the self-query's last 6 characters of an ID number
            values[key] = "12345X"
        elif key == "code":       # a well-formed but wrong query code
            values[key] = "ABCD2345"
        elif "phone" in key or "contact" in key:
            values[key] = "13700001111"
        elif key == "name":
            values[key] = "张三"
        else:
            values[key] = f"第{n}次反映:该项目公示的受益户名单与实际不符,请核实处理"
    return values


def test_every_public_form_is_rate_limited(client: Client, village, settings):
    for key, value in LOWERED.items():
        setattr(settings, key, value)
    _pages, forms = crawl(client)
    by_action: dict[str, tuple[str, dict]] = {}
    for url, form in forms:
        action = _same_site(url, form["action"] or url) or url
        by_action.setdefault(re.sub(r"\d+", "N", action.split("?")[0]), (action, form))
    kinds = set(by_action)
    # the objection and comment forms, the policy search, the benefits-statement self-query and the 12317 forms
    assert {"/public/notices/N/cases/N/object/", "/public/projects/announcements/N/", "/public/policies/",
            "/public/statements/", "/public/grievances/", "/public/grievances/progress/"} <= kinds, kinds
    for kind, (action, form) in sorted(by_action.items()):
        statuses = []
        for n in range(TRIES):
            values = _filled(form, n)
            if form["method"] == "post":
                response = client.post(action.split("?")[0], values, REMOTE_ADDR="10.20.30.40")
            else:
                response = client.get(action.split("?")[0], values, REMOTE_ADDR="10.20.30.40")
            statuses.append(response.status_code)
            if response.status_code == 429:
                break
        assert statuses[-1] == 429, f"{kind}: no 429 after {len(statuses)} submissions: {statuses}"
        assert all(s < 500 for s in statuses), (kind, statuses)
