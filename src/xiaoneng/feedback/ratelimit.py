"""Rate limiting of the public forms through Django's cache (per IP, per phone; fixed windows).

With the default local-memory cache each server process counts on its own; configure a shared cache
(database or Redis) in production for exact limits across processes.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache

from . import conf

PREFIX = "xn-feedback"


def client_ip(request) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy rewrites REMOTE_ADDR.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def phone_key(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    return hashlib.sha256(f"{settings.SECRET_KEY}:{digits}".encode()).hexdigest()[:32]


def _key(kind: str, scope: str, value: str) -> str:
    return f"{PREFIX}:{kind}:{scope}:{value}"


def exceeded(kind: str, *, ip: str | None = None, phone: str | None = None, limit: int | None = None) -> bool:
    limit = conf.get("XN_FEEDBACK_RATE_LIMIT") if limit is None else limit
    keys = []
    if ip is not None:
        keys.append(_key(kind, "ip", ip))
    if phone:
        keys.append(_key(kind, "phone", phone_key(phone)))
    return any((cache.get(key) or 0) >= limit for key in keys)


def count(kind: str, *, ip: str | None = None, phone: str | None = None) -> None:
    window = conf.get("XN_FEEDBACK_RATE_WINDOW_SECONDS")
    keys = []
    if ip is not None:
        keys.append(_key(kind, "ip", ip))
    if phone:
        keys.append(_key(kind, "phone", phone_key(phone)))
    for key in keys:
        cache.add(key, 0, window)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, window)


def guesses_exceeded(ip: str) -> bool:
    return exceeded("guess", ip=ip, limit=conf.get("XN_FEEDBACK_GUESS_LIMIT"))


def count_guess(ip: str) -> None:
    count("guess", ip=ip)
