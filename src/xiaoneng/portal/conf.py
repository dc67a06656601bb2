"""Portal settings with their defaults (override any of them in settings.py / the environment).

- ``XN_PORTAL_MAX_FILE_BYTES`` (10 MiB): largest accepted upload.
- ``XN_PORTAL_MAX_FILES`` (20): most files on one application (application and correction materials together).
- ``XN_PORTAL_VIRUS_SCANNER`` (None): dotted path of a callable ``scan(path: pathlib.Path) -> str | None``
  called on every stored upload; it returns None (clean) or a reason, and the upload is refused and deleted.
  None means no scanning.
- ``XN_PORTAL_REALNAME_VERIFIER`` ("xiaoneng.portal.realname.no_verification"): dotted path of a callable
  ``verify(user, *, name, id_no, credit_code) -> realname.Verification`` run at sign-up (see realname.py).
- ``XN_PORTAL_QUERY_LIMIT`` (10) failed progress queries per IP within ``XN_PORTAL_QUERY_WINDOW_SECONDS`` (900).
"""

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULTS = {
    "XN_PORTAL_MAX_FILE_BYTES": 10 * 1024 * 1024,
    "XN_PORTAL_MAX_FILES": 20,
    "XN_PORTAL_VIRUS_SCANNER": None,
    "XN_PORTAL_REALNAME_VERIFIER": "xiaoneng.portal.realname.no_verification",
    "XN_PORTAL_QUERY_LIMIT": 10,
    "XN_PORTAL_QUERY_WINDOW_SECONDS": 900,
}


def get(name: str):
    return getattr(settings, name, DEFAULTS[name])


def callable_setting(name: str):
    value = get(name)
    if not value:
        return None
    return import_string(value) if isinstance(value, str) else value
