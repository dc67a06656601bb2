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
