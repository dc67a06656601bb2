"""Browser test (Debian's Chromium through Playwright): the department score page draws its radar and trend
under the CSP, and the breakdown links lead to the facts."""

import os
from pathlib import Path

import pytest

from xiaoneng.evaluation import services
from xiaoneng.org.models import Post

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed"),
]


@pytest.fixture
def page(transactional_db, live_server, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        pg = context.new_page()
        pg.set_default_timeout(20000)
        yield pg
        context.close()
        browser.close()


def test_department_page_draws_charts_and_links_to_facts(page, live_server, scored_county, as_of, client):
    services.evaluate_period("2026-10", as_of=as_of)
    client.force_login(scored_county.county.a.staff[Post.LEADER])
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                               "url": live_server.url}])
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_server.url + "/staff/evaluation/d/DA/?period=2026-10")
    page.wait_for_selector("#ev-radar canvas")
    page.wait_for_selector("#ev-trend canvas")
    if shots := os.environ.get("XN_SCREENSHOT_DIR"):
        page.screenshot(path=f"{shots}/evaluation-department.png", full_page=True)
    page.click("a[data-rule='time_limits/yellow']")
    page.wait_for_selector(".ev-facts")
    if shots:
        page.screenshot(path=f"{shots}/evaluation-facts.png", full_page=True)
    assert scored_county.cases["late"][0].case_no in page.content()
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
