"""Shared fixtures: a small county with departments, staff and a published item."""

import pytest
from hypothesis import HealthCheck, settings

from tests.factories import CountyFactory


def pytest_configure(config):
    """Tests use a per-process memory cache (cache access never needs the database fixture) and a fast
    password hasher (argon2 is deliberately slow; production keeps it — see tests/core/test_settings.py)."""
    from django.conf import settings as django_settings

    django_settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    django_settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# The machine is shared and noisy: property tests judge behaviour, never speed.
settings.register_profile("xiaoneng", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("xiaoneng")


@pytest.fixture
def county(db):
    """A region tree, two departments (A and B), staff for every post in each, and a published item each."""
    return CountyFactory.build()


def pytest_collection_modifyitems(items):
    """Every transactional test (live server, concurrency) rolls back by serialization.

    A plain flush would wipe the rows that data migrations seed (the official calendar, the supervision rule
    catalogue, the default scoring standard) for every later test on the same worker.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
            name in item.fixturenames for name in ("transactional_db", "live_server")
        )
        if transactional and "django_db_serialized_rollback" not in item.fixturenames:
            item.fixturenames.append("django_db_serialized_rollback")


@pytest.fixture
def browser(transactional_db, live_server, monkeypatch):
    """Debian's Chromium (see tests/browser.py). Playwright's sync API runs an event loop in this thread; the
    test's own ORM calls are still synchronous."""
    from tests.browser import CHROMIUM

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()
