"""Quarantine (隔离区): correct and replay rejected events through the same ingestion path."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from .ingest import Outcome, ingest
from .models import QuarantinedEvent, QuarantineSource, QuarantineStatus
from .pii import unprotect


def replay(ids: Iterable[int], *, user: str = "") -> list[tuple[QuarantinedEvent, Outcome]]:
    """Replay quarantined events (in id order); each gets its own result appended to its history.

    Accepted or duplicate → ``replayed``; rejected again → stays ``open`` with the new reason. Rows already
    replayed or resolved are replayed only if reopened (status set back to open) first.
    """
    rows = list(QuarantinedEvent.objects.filter(pk__in=list(ids)).select_related("system").order_by("pk"))
    done: list[tuple[QuarantinedEvent, Outcome]] = []
    groups: dict[tuple[int | None, bool], list[QuarantinedEvent]] = {}
    for row in rows:  # historical imports may lack reasons (require_reasons=False), as when first imported
        groups.setdefault((row.system_id, row.source == QuarantineSource.IMPORT), []).append(row)
    for (_, imported), group in groups.items():
        system = group[0].system
        outcomes = ingest([unprotect(r.raw) for r in group], system=system, source=QuarantineSource.REPLAY,
                          quarantine=False, require_reasons=not imported, backfilled=imported)
        now = timezone.now()
        with transaction.atomic():
            for row, outcome in zip(group, outcomes, strict=True):
                entry: dict[str, Any] = {"at": now.isoformat(), "status": outcome.status, "by": user}
                if outcome.status == "rejected":
                    entry["error"] = {"code": outcome.code, "field": outcome.field, "message": outcome.message}
                    row.error_code = outcome.code
                    row.error_field = outcome.field or ""
                    row.error_message = outcome.message[:2000]
                    row.status = QuarantineStatus.OPEN
                else:
                    row.status = QuarantineStatus.REPLAYED
                row.event_id = outcome.event_id
                row.case_no = outcome.case_no
                row.history = [*row.history, entry]
                row.save(update_fields=["error_code", "error_field", "error_message", "status", "event_id",
                                        "case_no", "history"])
                done.append((row, outcome))
    done.sort(key=lambda pair: pair[0].pk)
    return done


def resolve(ids: Iterable[int], *, user: str = "", note: str = "") -> int:
    """Mark quarantined events as handled without replaying them (e.g. a test message)."""
    count = 0
    now = timezone.now().isoformat()
    for row in QuarantinedEvent.objects.filter(pk__in=list(ids)).exclude(status=QuarantineStatus.RESOLVED):
        row.status = QuarantineStatus.RESOLVED
        row.history = [*row.history, {"at": now, "status": "resolved", "by": user, "note": note}]
        row.save(update_fields=["status", "history"])
        count += 1
    return count


def as_dict(row: QuarantinedEvent, *, raw: bool = True) -> dict[str, Any]:
    data = {
        "id": row.pk, "system": row.system.code if row.system_id else "", "source": row.source,
        "event_id": row.event_id, "case_no": row.case_no,
        "error": {"code": row.error_code, "field": row.error_field or None, "message": row.error_message},
        "received_at": row.received_at.isoformat(), "status": row.status, "history": row.history,
    }
    if raw:
        data["raw"] = row.raw
    return data
