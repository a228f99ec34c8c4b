"""Real Chromium at 390 px (issue 16): a cadre logs in on a phone, opens a household's visit form, loses the
network, records the visit with a photo — it is kept on the phone (nothing reaches the server) — and once the
phone is back online the visit is sent by itself and shows on the household page with its photo."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from sunshine.assistance.models import Visit, VisitPhoto
from sunshine.assistance.tests import helpers
from sunshine.assistance.tests.test_visits_photos import make_image
from sunshine.core.choices import Role
from sunshine.testing import factories as f

from .test_pages import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTES = "老人腿伤已好转,儿子在县城务工"
MEASURES = "联系镇卫生院上门随访"


def test_a_visit_typed_offline_is_sent_when_back_online(page: Page, live_server, users, household_a, household_b):
    cadre = helpers.make_cadre(f.COUNTY, user=f.make_user("cadre_a", Role.CADRE, f.COUNTY))
    helpers.pair(cadre, household_a.household)
    page.set_viewport_size({"width": 390, "height": 844})
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    login(page, live_server, "cadre_a")

    page.goto(f"{live_server.url}/assistance/visits/")
    households = page.get_by_test_id("my-households")
    expect(households).to_contain_text("甲户主")
    expect(households).to_contain_text("尚未走访")
    expect(households).not_to_contain_text("乙户主")
    households.get_by_role("link", name="走访").click()
    expect(page).to_have_url(re.compile(rf"/assistance/visits/households/{household_a.household.pk}/new/$"))
    # The script has run (it shows the place button only where the phone can locate itself).
    expect(page.get_by_role("button", name="记录当前位置")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # The service worker controls the visits pages (it keeps them for opening without a network).
    # Under load the worker may activate after this page loaded: once it is active, a reload is controlled.
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("() => navigator.serviceWorker.controller !== null"):
        page.reload()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=60_000)

    page.context.set_offline(True)
    form = page.get_by_test_id("visit-form")
    form.get_by_label("走访情况").fill(NOTES)
    form.get_by_label("商定措施").fill(MEASURES)
    form.get_by_test_id("photos").set_input_files(
        files=[{"name": "visit.jpg", "mimeType": "image/jpeg", "buffer": make_image((1200, 900))}])
    expect(form).to_contain_text("已选 1 张照片")
    form.get_by_role("button", name="保存走访记录").click()

    status = page.get_by_test_id("visit-status")
    expect(status).to_have_text("已保存在手机上,联网后自动上传")
    expect(page.get_by_test_id("visit-pending")).to_contain_text("手机上有 1 条走访记录待上传")
    expect(form.get_by_label("走访情况")).to_have_value("")  # the form is ready for the next visit
    assert Visit.objects.count() == 0  # kept on the phone: nothing reached the server
    # Still offline, the page opens again from the service worker's copy, and the visit is still waiting.
    page.reload()
    expect(page.get_by_test_id("visit-pending")).to_contain_text("手机上有 1 条走访记录待上传")
    expect(page.get_by_role("heading", level=1)).to_contain_text("甲户主")
    assert Visit.objects.count() == 0

    page.context.set_offline(False)
    expect(status).to_have_text("已上传 1 条走访记录", timeout=15_000)
    expect(page.get_by_test_id("visit-pending")).to_be_hidden()
    visit = Visit.objects.get()
    assert (visit.household_id, visit.notes, visit.measures, visit.cadre_id) == (
        household_a.household.pk, NOTES, MEASURES, cadre.pk)
    assert visit.client_uuid is not None and VisitPhoto.objects.filter(visit=visit).count() == 1

    # Loading a visits page again sends nothing twice.
    page.goto(f"{live_server.url}/assistance/visits/")
    expect(page.get_by_test_id("my-households")).to_contain_text(f"上次走访 {visit.date:%Y-%m-%d}")
    page.wait_for_load_state("networkidle")
    assert Visit.objects.count() == 1

    page.goto(f"{live_server.url}/households/{household_a.household.household_no}/")
    row = page.get_by_test_id("household-visits").locator(f'[data-visit="{visit.pk}"]')
    expect(row).to_contain_text(f"{visit.date:%Y-%m-%d}")
    expect(row).to_contain_text(NOTES)
    expect(row).to_contain_text(MEASURES)
    photo = VisitPhoto.objects.get(visit=visit)
    link = row.get_by_role("link", name="照片1")
    expect(link).to_have_attribute("href", f"/assistance/visits/photos/{photo.pk}/")
    assert blocked == []  # not one page of the visit blocked by the CSP
    with page.expect_response(re.compile(rf"/assistance/visits/photos/{photo.pk}/$")) as shown:
        link.click()
    assert shown.value.status == 200 and shown.value.headers["content-type"] == "image/jpeg"
    assert page.evaluate("document.images.length === 1 && document.images[0].naturalWidth") == 1200
    assert blocked == []  # Chrome's own page around an image is allowed its inline style


def test_the_visit_pages_fit_360_px(page: Page, live_server, users, household_a):
    cadre = helpers.make_cadre(f.COUNTY, user=f.make_user("cadre_a", Role.CADRE, f.COUNTY))
    helpers.pair(cadre, household_a.household)
    page.set_viewport_size({"width": 360, "height": 740})
    login(page, live_server, "cadre_a")
    page.get_by_role("banner").get_by_text("菜单").click()
    page.get_by_role("banner").get_by_role("link", name="我的帮扶户").click()
    expect(page).to_have_url(re.compile(r"/assistance/visits/$"))
    for url in ("/assistance/visits/", f"/assistance/visits/households/{household_a.household.pk}/new/"):
        page.goto(f"{live_server.url}{url}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, url
        # Big touch targets: the main buttons are at least 44 px high.
        for name in ("走访", "保存走访记录", "拍照或选择照片"):
            target = page.get_by_text(name, exact=True)
            if target.count():
                assert target.first.bounding_box()["height"] >= 44, (url, name)
