"""Browser test (Debian's Chromium through Playwright): the department score page draws its radar and trend
under the CSP, and the breakdown links lead to the facts."""

import os

import pytest

from tests.browser import BROWSER, new_page
from xiaoneng.evaluation import services
from xiaoneng.org.models import Post

pytestmark = BROWSER


@pytest.fixture
def page(browser):
    return new_page(browser, 1400, 1000)


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
