"""API keys of source systems: ``xn_<prefix>_<secret>``, shown once, stored as SHA-256 (see models.py)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from xiaoneng.org.models import Department, Region

from .models import ApiKey, SourceSystem

PREFIX_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"
LAST_USED_RESOLUTION = timedelta(seconds=60)


class RegistrationError(ValueError):
    pass


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def generate_key() -> tuple[str, str]:
    """A new key and its prefix: 8 lowercase alphanumerics and 32 random bytes (url-safe base64)."""
    prefix = "".join(secrets.choice(PREFIX_CHARS) for _ in range(8))
    return f"xn_{prefix}_{secrets.token_urlsafe(32)}", prefix


def issue_key(system: SourceSystem) -> str:
    key, prefix = generate_key()
    ApiKey.objects.create(system=system, prefix=prefix, key_hash=hash_key(key))
    return key


def parse_prefix(key: str) -> str | None:
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != "xn" or len(parts[1]) != 8 or not parts[2]:
        return None
    return parts[1]


def authenticate(key: str) -> SourceSystem | None:
    """The active system owning this active key, or None. One indexed query; constant-time comparison."""
    if not key or len(key) > 200:
        return None
    prefix = parse_prefix(key)
    if prefix is None:
        return None
    digest = hash_key(key)
    for api_key in ApiKey.objects.filter(prefix=prefix, revoked_at__isnull=True,
                                         system__is_active=True).select_related("system"):
        if hmac.compare_digest(api_key.key_hash, digest):
            now = timezone.now()
            if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_RESOLUTION:
                ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
            return api_key.system
    return None


@transaction.atomic
def create_system(*, code: str, name: str, department_codes: Iterable[str] = (), is_supervisor: bool = False,
                  region_code: str | None = None) -> tuple[SourceSystem, str]:
    codes = list(dict.fromkeys(department_codes))
    departments = list(Department.objects.filter(code__in=codes))
    missing = sorted(set(codes) - {d.code for d in departments})
    if missing:
        raise RegistrationError(f"unknown department code(s): {', '.join(missing)}")
    if SourceSystem.objects.filter(code=code).exists():
        raise RegistrationError(f"a source system with code {code!r} already exists")
    if not code or len(code) > 64:
        raise RegistrationError("the system code must be 1-64 characters")
    region = None
    if region_code:
        region = Region.objects.filter(code=region_code).first()
        if region is None:
            raise RegistrationError(f"unknown region code: {region_code}")
    system = SourceSystem.objects.create(code=code, name=name, is_supervisor=is_supervisor, region=region)
    system.departments.set(departments)
    return system, issue_key(system)


@transaction.atomic
def rotate_key(system: SourceSystem) -> str:
    """Revoke every active key of the system and issue a new one."""
    ApiKey.objects.filter(system=system, revoked_at__isnull=True).update(revoked_at=timezone.now())
    return issue_key(system)


def revoke_keys(system: SourceSystem) -> int:
    return ApiKey.objects.filter(system=system, revoked_at__isnull=True).update(revoked_at=timezone.now())
