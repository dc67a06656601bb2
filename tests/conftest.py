"""Shared fixtures: a small county with departments, staff and a published item."""

import pytest

from tests.factories import CountyFactory


@pytest.fixture
def county(db):
    """A region tree, two departments (A and B), staff for every post in each, and a published item each."""
    return CountyFactory.build()
