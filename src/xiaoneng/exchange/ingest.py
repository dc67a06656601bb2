"""Ingestion of raw exchange events: parse each, record the valid ones through the single write path
(``xiaoneng.cases.services.record_events``), quarantine every rejection. Used by the API, the bulk import and
quarantine replay alike, so all three behave identically.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from .models import QuarantinedEvent, QuarantineSource, SourceSystem
from .parsing import (
    DEFAULT_FIELDS,
    ParseError,
    case_no_of,
    event_id_of,
    parse_event,
    safe_text,
    storable,
    storable_raw,
)
from .pii import protect


@dataclass(frozen=True)
class Outcome:
    event_id: str
    case_no: str
    status: str  # accepted | duplicate | rejected
    code: str = ""
    field: str | None = None
    message: str = ""
    quarantine_id: int | None = None

    def as_result(self) -> dict[str, Any]:
        data: dict[str, Any] = {"event_id": self.event_id, "status": self.status}
        if self.status == "rejected":
            error: dict[str, Any] = {"code": self.code, "message": self.message}
            if self.field:
                error["field"] = self.field
            data["error"] = error
            if self.quarantine_id is not None:
                data["quarantine_id"] = self.quarantine_id
        return data


def allowed_departments(system: SourceSystem | None) -> list[str] | None:
    """Department codes the system may report for (None: the platform itself, no restriction)."""
    if system is None:
        return None
    return list(system.departments.values_list("code", flat=True))


def ingest(
    raw_events: Sequence[Any],
    *,
    system: SourceSystem | None,
    source: str = QuarantineSource.API,
    received_at: datetime | None = None,
    allowed: list[str] | None | bool = False,
    import_job_id: int | None = None,
    import_rows: Sequence[int | None] | None = None,
    quarantine: bool = True,
    require_reasons: bool = True,
    backfilled: bool = False,
) -> list[Outcome]:
    """Outcomes in input order; rejected events are stored in quarantine (unless ``quarantine=False``).
    ``backfilled``: the events are history brought in by a bulk import (二次入录), not a real-time report."""
    from xiaoneng.cases.services import NewEvent, record_events

    now = received_at or timezone.now()
    code = system.code if system is not None else ""
    if allowed is False:
        allowed = allowed_departments(system)
    checked = storable(list(raw_events))  # the common case: the whole batch at once
    parsed: list[dict | ParseError] = [
        parse_event(raw, source_system=code, now=now, require_reasons=require_reasons, storable_checked=checked)
        for raw in raw_events
    ]
    valid_idx = [i for i, p in enumerate(parsed) if not isinstance(p, ParseError)]
    engine_results = {}
    if valid_idx:
        results = record_events([NewEvent(**parsed[i], backfilled=backfilled) for i in valid_idx],
                                allowed_departments=allowed,
                                received_at=now, require_reasons=require_reasons)
        engine_results = dict(zip(valid_idx, results, strict=True))

    outcomes: list[Outcome] = []
    for i, raw in enumerate(raw_events):
        p = parsed[i]
        if isinstance(p, ParseError):
            outcomes.append(Outcome(event_id_of(raw), case_no_of(raw), "rejected", p.code, p.field, p.message))
            continue
        result = engine_results[i]
        if result.status == "rejected":
            err = result.error
            err_code = getattr(err, "code", "") or "rejected"
            outcomes.append(Outcome(p["event_id"], p["case_no"], "rejected", err_code,
                                    getattr(err, "field", None) or DEFAULT_FIELDS.get(err_code),
                                    getattr(err, "message", "") or err_code))
        else:
            outcomes.append(Outcome(p["event_id"], p["case_no"], result.status))

    if quarantine:
        rejected = [(i, o) for i, o in enumerate(outcomes) if o.status == "rejected"]
        if rejected:
            rows = QuarantinedEvent.objects.bulk_create([
                QuarantinedEvent(
                    system=system, source=source, raw=storable_raw(protect(raw_events[i])), event_id=o.event_id, case_no=o.case_no,
                    error_code=o.code, error_field=safe_text(o.field or "")[:64],
                    error_message=safe_text(o.message[:2000]),
                    received_at=now, import_job_id=import_job_id,
                    import_row=import_rows[i] if import_rows is not None else None,
                )
                for i, o in rejected
            ])
            for (i, o), row in zip(rejected, rows, strict=True):
                if row.pk is not None:
                    outcomes[i] = Outcome(o.event_id, o.case_no, o.status, o.code, o.field, o.message, row.pk)
    return outcomes


def summarize(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    counts = {"accepted": 0, "duplicate": 0, "rejected": 0}
    for o in outcomes:
        counts[o.status] += 1
    return {**counts, "results": [o.as_result() for o in outcomes]}
