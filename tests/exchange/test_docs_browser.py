"""Browser test: the API docs page renders from vendored assets under the site's CSP (no CDN, no violations)."""

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed"),
]


@pytest.fixture
def browser(transactional_db, live_server, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


def test_docs_render_offline(browser, live_server):
    page = browser.new_page()
    requests, problems = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(live_server.url + "/api/v1/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=20000)
    assert "Xiaoneng data-exchange API" in page.inner_text(".swagger-ui .info .title")
    page.locator(".opblock-summary-path", has_text="/api/v1/events").first.wait_for(timeout=20000)
    assert all(url.startswith(live_server.url) or url.startswith("data:") for url in requests), requests
    assert not [p for p in problems if "Content Security Policy" in p], problems
