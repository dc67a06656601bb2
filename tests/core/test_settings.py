import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.test import override_settings

DB_CACHE = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "xiaoneng_cache"}}


@pytest.mark.django_db
def test_database_cache_is_shared_through_the_database():
    """The default cache (shared by every web process) round-trips through its table."""
    with override_settings(CACHES=DB_CACHE):
        call_command("createcachetable", verbosity=0)
        caches["default"].set("rate:test", 3, 60)
        assert caches["default"].get("rate:test") == 3
        assert caches["default"].incr("rate:test") == 4


def test_weak_secret_key_is_refused_without_debug(monkeypatch, tmp_path):
    import subprocess
    import sys

    env = {"SECRET_KEY": "changeme", "DEBUG": "0", "XN_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", "import xiaoneng.settings"], env=env, capture_output=True,
                            text=True, cwd=str(tmp_path))
    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr


def test_production_passwords_are_hashed_with_argon2():
    import xiaoneng.settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert "axes.backends.AxesStandaloneBackend" in project_settings.AUTHENTICATION_BACKENDS


def test_favicon_is_served_from_vendored_static(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")
