"""Browser test: the API docs page renders from vendored assets under the site's CSP (no CDN, no violations)."""



from tests.browser import BROWSER

pytestmark = BROWSER


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
