"""Browser test (Debian's Chromium through Playwright): the wall draws its ECharts panels under the CSP, and
redraws them after an htmx refresh of the partial without a page reload."""


import pytest

from tests.browser import BROWSER, new_page
from tests.supervision.conftest import accepted_case, at
from xiaoneng.supervision.services import sweep
from xiaoneng.supervision.wall import refresh_snapshots

pytestmark = BROWSER


@pytest.fixture
def page(browser):
    return new_page(browser, 1600, 1000)


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
