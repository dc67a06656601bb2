"""Snapshots (数据截取): a frozen, checksummed extract of every case and event known at a cut-off.

``events.csv`` holds every event with ``received_at <= cutoff`` (a prefix of each case's hash chain, so the
chain can be re-verified from the file); ``cases.csv`` holds one row per case with at least one such event:
its fixed attributes plus the facts folded from those events only (status, key times, result), never from
later state. ``manifest.json`` lists row counts and SHA-256 checksums. Nothing depends on the time of the run:
the same cut-off gives byte-identical files, so an assessment can be reproduced later exactly.
"""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from xiaoneng.cases.models import CaseEvent

CASE_HEADER = ["case_no", "region_code", "department", "item_code", "item_version", "source_system", "channel",
               "applicant_type", "first_received_at", "events", "last_seq", "last_hash", "status", "submitted_at",
               "accepted_at", "decided_at", "result", "delivered_at", "closed_at"]
EVENT_HEADER = ["case_no", "seq", "source_system", "event_id", "type", "occurred_at", "received_at", "actor_id",
                "actor_name", "acting_for", "payload", "prev_hash", "hash", "backfilled"]
STATUS_OF = {"submitted": "submitted", "accepted": "accepted", "correction_requested": "correction",
             "suspended": "suspended", "resumed": "accepted", "decided": "decided", "delivered": "delivered",
             "rejected": "rejected", "withdrawn": "withdrawn", "returned": "returned"}
TERMINAL = {"delivered", "rejected", "withdrawn", "returned"}


def ts(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ") if value else ""


def _fold(events: list[tuple]) -> dict[str, str]:
    """Key facts from the events (type, occurred_at, payload) in occurred_at order."""
    facts = {"status": "", "submitted_at": "", "accepted_at": "", "decided_at": "", "result": "",
             "delivered_at": "", "closed_at": ""}
    status = ""
    for type_, occurred_at, payload in sorted(events, key=lambda e: e[1]):
        at = ts(occurred_at)
        if type_ == "submitted" and not facts["submitted_at"]:
            facts["submitted_at"] = at
        elif type_ == "accepted" and not facts["accepted_at"]:
            facts["accepted_at"] = at
        elif type_ == "decided":
            facts["decided_at"] = at
            facts["result"] = str((payload or {}).get("result", ""))
        elif type_ == "delivered":
            facts["delivered_at"] = at
        if type_ in TERMINAL and not facts["closed_at"]:
            facts["closed_at"] = at
        if type_ == "correction_completed":
            status = "accepted" if facts["accepted_at"] else "submitted"
        elif type_ in STATUS_OF and status not in TERMINAL:
            status = STATUS_OF[type_]
    facts["status"] = status
    return facts


class _HashingWriter:
    def __init__(self, path: Path, header: list[str]):
        self.fh = open(path, "w", newline="", encoding="utf-8")  # noqa: SIM115
        self.writer = csv.writer(self.fh, lineterminator="\n")
        self.rows = 0
        self.writer.writerow(header)

    def write(self, row: list) -> None:
        self.writer.writerow(row)
        self.rows += 1

    def close(self) -> None:
        self.fh.close()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def make_snapshot(cutoff: datetime, out_dir: Path, *, chunk_size: int = 5000) -> dict:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cases = _HashingWriter(out_dir / "cases.csv", CASE_HEADER)
    events = _HashingWriter(out_dir / "events.csv", EVENT_HEADER)
    rows = (CaseEvent.objects.filter(received_at__lte=cutoff)
            .order_by("case__case_no", "seq")
            .values_list("case__case_no", "seq", "source_system", "event_id", "type", "occurred_at", "received_at",
                         "actor_id", "actor_name", "acting_for", "payload", "prev_hash", "hash",
                         "case__region_code", "case__department__code", "case__item__code",
                         "case__item_version__number", "case__source_system", "case__channel",
                         "case__applicant_type", "backfilled"))
    current: str | None = None
    group: list[tuple] = []
    head: tuple = ()
    first_received: datetime | None = None
    last = (0, "")

    def emit():
        facts = _fold(group)
        cases.write([current, *head, ts(first_received), len(group), last[0], last[1],
                     *(facts[k] for k in CASE_HEADER[12:])])

    try:
        for r in rows.iterator(chunk_size=chunk_size):
            case_no = r[0]
            if case_no != current:
                if current is not None:
                    emit()
                current, group, first_received = case_no, [], r[6]
                head = (r[13], r[14], r[15], r[16], r[17], r[18], r[19])
            payload = json.dumps(r[10], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
            events.write([case_no, r[1], r[2], r[3], r[4], ts(r[5]), ts(r[6]), r[7], r[8], r[9], payload, r[11],
                          r[12], "true" if r[20] else "false"])
            group.append((r[4], r[5], r[10]))
            first_received = min(first_received, r[6])
            last = (r[1], r[12])
        if current is not None:
            emit()
    finally:
        cases.close()
        events.close()
    manifest = {
        "format": "xiaoneng-snapshot/1",
        "cutoff": ts(cutoff),
        "selection": "events with received_at <= cutoff; cases with at least one such event",
        "files": {
            name: {"rows": writer.rows, "sha256": _sha256(out_dir / name), "columns": header}
            for name, writer, header in (("cases.csv", cases, CASE_HEADER), ("events.csv", events, EVENT_HEADER))
        },
    }
    with open(out_dir / "manifest.json", "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, ensure_ascii=False, indent=1, sort_keys=True)
        fh.write("\n")
    return manifest
