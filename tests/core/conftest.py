import pytest


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """argon2 costs about a second per user on a loaded machine; the shared county fixture creates ~20 users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
