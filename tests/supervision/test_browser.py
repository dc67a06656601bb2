"""Browser test (Debian's Chromium through Playwright): the wall draws its ECharts panels under the CSP, and
redraws them after an htmx refresh of the partial without a page reload."""

from pathlib import Path

import pytest

from tests.supervision.conftest import accepted_case, at
from xiaoneng.supervision.services import sweep
from xiaoneng.supervision.wall import refresh_snapshots

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
        context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
        pg = context.new_page()
        pg.set_default_timeout(20000)
        yield pg
        context.close()
        browser.close()


def test_wall_draws_and_refreshes(page, live_server, county, client):
    accepted_case(county, "BR-1", at(2026, 3, 2, 9, 59))
    sweep()
    refresh_snapshots()
    client.force_login(county.supervisor)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                               "url": live_server.url}])
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    for path in ("/staff/supervision/wall/", "/staff/supervision/wall/?screen=1"):
        page.goto(live_server.url + path)
        page.wait_for_selector("[data-chart='trend'] canvas")
        assert page.locator("[data-chart] canvas").count() >= 5
        assert "BR-1" in page.content()
        page.evaluate("() => { window.__marker = 1; }")
        page.evaluate("() => htmx.ajax('GET', document.querySelector('#wall-panels').getAttribute('hx-get'),"
                      " {target: '#wall-panels', swap: 'outerHTML'})")
        page.wait_for_function("() => document.querySelectorAll('[data-chart] canvas').length >= 5")
        assert page.evaluate("() => window.__marker") == 1  # no page reload
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
