"""The demo county (演示县): deterministic, believable data for trying the platform."""

from django.db import transaction

from xiaoneng.org.models import User

DEFAULT_SEED = 20261122
ADMIN_PASSWORD = "Xn-admin-2026"


@transaction.atomic
def build(seed: int = DEFAULT_SEED) -> list[tuple[str, str, str]]:
    """Create (or refresh) the demo data and return the demo logins."""
    admin, created = User.objects.get_or_create(username="admin", defaults={"full_name": "系统管理员"})
    if created:
        admin.is_staff = admin.is_superuser = True
        admin.set_password(ADMIN_PASSWORD)
        admin.save()
    return [("admin", ADMIN_PASSWORD, "系统管理员 (superuser)")]
