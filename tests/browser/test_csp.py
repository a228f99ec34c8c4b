"""Real Chromium under the site's Content-Security-Policy: every main page, as the roles that use it, loads and
works (htmx swaps, the year picker's auto-submit, Swagger UI, the admin) without a single CSP violation.

Violations are caught twice: the document's `securitypolicyviolation` event (recorded by an init script, which
Playwright injects outside the page's CSP) and Chromium's console message "Refused to … Content Security Policy"."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from sunshine.comparison.tests import factories as cf
from sunshine.monitoring.tests import factories as mf
from sunshine.testing import factories as f
from sunshine.workflow.tests import factories as wf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


class CspWatch:
    """One browser context whose pages report every CSP violation; `check()` after each page."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
        self.context.add_init_script(RECORD_VIOLATIONS)
        self.page = self.context.new_page()
        self.base_url = base_url
        self.console: list[str] = []
        self.page.on("console", self._console)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(message.text)

    def open(self, path: str) -> Page:
        response = self.page.goto(f"{self.base_url}{path}")
        assert response is not None and response.status == 200, (path, response and response.status)
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, (path, policy)
        return self.page

    def check(self, where: str) -> None:
        self.page.wait_for_load_state("networkidle")
        recorded = self.page.evaluate("window.__csp || []")
        assert not recorded and not self.console, (where, recorded, self.console)

    def login(self, username: str) -> None:
        page = self.open("/login/")
        self.check("/login/")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(f.PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_role("banner").get_by_role("button", name="退出")).to_be_visible()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def data(users, household_a, household_b):
    run = cf.make_run(actor=users["county"], rules=["C-DEAD"])
    finding = cf.make_finding(run=run, household_year=household_a)
    warning = mf.make_warning(run=mf.make_run(actor=users["county"]), household_year=household_a,
                              codes=["M-UNSTABLE"], score=65, contributions={"income_below_line": 65})
    case = wf.to_notice(users["clerk"], wf.open_exit(users["clerk"], household_a))
    return {"finding": finding, "warning": warning, "case": case, "household": household_a}


def test_village_clerk_pages_have_no_csp_violation(browser: Browser, live_server, users, data):
    watch = CspWatch(browser, live_server.url)
    watch.login("clerk_a")
    watch.check("home")
    household_no = data["household"].household.household_no
    for path in (f"/households/{household_no}/?year=2020", "/comparison/findings/",
                 f"/comparison/findings/{data['finding'].pk}/", "/monitoring/",
                 f"/monitoring/warnings/{data['warning'].pk}/", "/cases/", f"/cases/{data['case'].pk}/",
                 "/account/password/", "/account/tokens/"):
        watch.open(path)
        watch.check(path)
    # The household list's filters reload the results through htmx (no inline style, no eval).
    page = watch.open("/households/")
    page.locator("select[name=year]").select_option("2021")
    expect(page).to_have_url(re.compile(r"year=2021"))
    expect(page.get_by_test_id("result-count")).to_be_visible()
    page.locator("select[name=year]").select_option("2020")
    expect(page.get_by_test_id("households")).to_contain_text("甲户主")
    watch.check("/households/ with the year select")
    watch.close()


def test_county_division_year_picker_submits_without_inline_handler(browser: Browser, live_server, users, data):
    watch = CspWatch(browser, live_server.url)
    watch.login("county")
    page = watch.page
    assert page.locator("[onchange], [onclick], [onsubmit], [style]").count() == 0
    page.locator("select#year").select_option("2019")
    expect(page).to_have_url(re.compile(r"\?year=2019$"))
    expect(page.locator("select#year")).to_have_value("2019")
    watch.check("division year picker")
    for path in ("/households/", "/comparison/", "/monitoring/", "/assessment/"):
        watch.open(path)
        watch.check(path)
    watch.close()


def test_supervisor_audit_pages_have_no_csp_violation(browser: Browser, live_server, users, data):
    watch = CspWatch(browser, live_server.url)
    watch.login("supervisor")
    watch.check("home")
    for path in ("/audit/", "/comparison/findings/", f"/cases/{data['case'].pk}/"):
        watch.open(path)
        watch.check(path)
    watch.close()


def test_public_notice_and_login_pages_have_no_csp_violation(browser: Browser, live_server, users, data):
    watch = CspWatch(browser, live_server.url)
    for path in ("/login/", "/public/notices/", f"/public/notices/{f.VILLAGE_A}/"):
        watch.open(path)
        watch.check(path)
    assert watch.page.locator("style, [style]").count() == 0
    watch.close()


def test_api_docs_render_offline_under_the_policy(browser: Browser, live_server, users):
    watch = CspWatch(browser, live_server.url)
    watch.login("admin")
    # Nothing outside this site may load: the docs must work on an intranet without internet access.
    outside: list[str] = []
    watch.page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url)
                  and not r.url.startswith("data:") else None)
    page = watch.open("/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Sunshine")
    expect(page.locator(".opblock").first).to_be_visible()
    page.locator(".opblock-summary").first.click()  # expand an operation: more of Swagger UI's rendering
    expect(page.locator(".opblock-body").first).to_be_visible()
    watch.check("/api/docs")
    assert not outside, outside
    watch.close()


def test_admin_works_under_the_policy(browser: Browser, live_server, users, data):
    watch = CspWatch(browser, live_server.url)
    watch.login("admin")
    for path in ("/admin/", "/admin/core/user/", f"/admin/core/user/{users['clerk'].pk}/change/",
                 "/users/", "/users/bulk/"):
        watch.open(path)
        watch.check(path)
    page = watch.open("/admin/core/user/")
    page.get_by_role("checkbox").first.check()  # admin's actions.js: selecting rows shows the action counter
    expect(page.locator(".action-counter")).to_be_visible()
    watch.check("admin changelist actions")
    watch.close()
