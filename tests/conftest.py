"""Shared fixtures: a small county with departments, staff and a published item."""

import pytest
from hypothesis import HealthCheck, settings

from tests.factories import CountyFactory

# The machine is shared and noisy: property tests judge behaviour, never speed.
settings.register_profile("xiaoneng", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("xiaoneng")


@pytest.fixture
def county(db):
    """A region tree, two departments (A and B), staff for every post in each, and a published item each."""
    return CountyFactory.build()
