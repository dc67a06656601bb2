"""Per-system fixed-window rate limit (settings.XN_API_RATE_PER_MINUTE requests per minute).

The counter lives in the database (one row per system and minute, incremented with a single atomic upsert),
so it holds across processes and servers on PostgreSQL without a shared cache. Old windows are pruned by a
periodic job.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection, transaction

from .models import RateWindow


def hit(system_id: int, now: float | None = None) -> int | None:
    """Count one request; None if allowed, else the seconds until the window resets (Retry-After)."""
    limit = settings.XN_API_RATE_PER_MINUTE
    if limit <= 0:
        return None
    now = time.time() if now is None else now
    window = int(now // 60)
    table = RateWindow._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (system_id, minute, count) VALUES (%s, %s, 1) "  # noqa: S608 (constant table)
            f"ON CONFLICT (system_id, minute) DO UPDATE SET count = {table}.count + 1 RETURNING count",
            [system_id, window],
        )
        count = cursor.fetchone()[0]
    if count > limit:
        return max(1, int((window + 1) * 60 - now + 0.999))
    return None


def prune(now: float | None = None) -> int:
    window = int((time.time() if now is None else now) // 60)
    deleted, _ = RateWindow.objects.filter(minute__lt=window - 1).delete()
    return deleted
