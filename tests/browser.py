"""Shared set-up of the browser tests: Debian's Chromium driven by Playwright (never a browser download).

A test module sets ``pytestmark = BROWSER`` (plus its own marks) and takes the ``browser`` fixture of
tests/conftest.py; :func:`new_page` opens a page at a given viewport."""

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
BROWSER = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed"),
]


def new_page(browser, width: int = 1400, height: int = 1000, *, timeout_ms: int = 20000):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    return page
