"""Tamper evidence: re-check every case's hash chain and the daily digests (每日存证).

``verify_chains()`` streams all events once in ``(case_id, seq)`` order (constant memory) and names every case
whose history does not verify: a recomputed hash differs (content altered), ``prev_hash`` does not link, a
sequence number is missing or repeated (a row deleted or inserted), or the chain's end does not match the
case's ``last_hash`` / ``event_count`` (rows removed at the end). ``verify_digests()`` recomputes every stored
daily digest, which also catches a chain that was altered and then re-hashed consistently.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from . import chain
from .models import Case, CaseEvent, ChainDigest

CHUNK = 2000


@dataclass
class ChainProblem:
    case_no: str
    seq: int | None
    reason: str  # hash_mismatch | broken_link | seq_gap | tail_mismatch | events_missing

    def as_dict(self) -> dict:
        return {"case_no": self.case_no, "seq": self.seq, "reason": self.reason}


@dataclass
class VerifyReport:
    cases: int = 0
    events: int = 0
    problems: list[ChainProblem] = field(default_factory=list)
    digest_days: int = 0
    digest_mismatches: list[str] = field(default_factory=list)

    @property
    def altered_cases(self) -> list[str]:
        return sorted({p.case_no for p in self.problems})

    @property
    def ok(self) -> bool:
        return not self.problems and not self.digest_mismatches

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "cases": self.cases,
            "events": self.events,
            "altered_cases": self.altered_cases,
            "problems": [p.as_dict() for p in self.problems],
            "digest_days": self.digest_days,
            "digest_mismatches": self.digest_mismatches,
        }


_FIELDS = (
    "case_id", "seq", "source_system", "event_id", "type", "occurred_at", "received_at", "actor_id",
    "actor_name", "acting_for", "payload", "backfilled", "prev_hash", "hash",
    "case__case_no", "case__last_hash", "case__event_count",
)


def verify_chains(report: VerifyReport | None = None) -> VerifyReport:
    report = report or VerifyReport()
    rows = CaseEvent.objects.order_by("case_id", "seq").values_list(*_FIELDS).iterator(chunk_size=CHUNK)
    current = None  # (case_id, case_no, last_hash, event_count)
    expected_seq, prev, bad = 1, "", False

    def finish():
        if current is not None:
            _cid, case_no, last_hash, count = current
            report.cases += 1
            if not bad and (prev != last_hash or expected_seq - 1 != count):
                report.problems.append(ChainProblem(case_no, None, "tail_mismatch"))

    for (cid, seq, ss, eid, typ, occ, rec, aid, aname, afor, payload, backfilled, prev_hash, h,
         case_no, last_hash, count) in rows:
        if current is None or cid != current[0]:
            finish()
            current, expected_seq, prev, bad = (cid, case_no, last_hash, count), 1, "", False
        report.events += 1
        if bad:
            continue
        problem = None
        if seq != expected_seq:
            problem = "seq_gap"
        elif prev_hash != prev:
            problem = "broken_link"
        elif h != chain.event_hash(case_no=case_no, seq=seq, source_system=ss, event_id=eid, type=typ,
                                   occurred_at=occ, received_at=rec, actor_id=aid, actor_name=aname,
                                   acting_for=afor, payload=payload, prev_hash=prev_hash,
                                   backfilled=backfilled):
            problem = "hash_mismatch"
        if problem:
            report.problems.append(ChainProblem(case_no, seq, problem))
            bad = True
        expected_seq, prev = seq + 1, h
    finish()
    # Cases whose every event row was removed.
    orphans = Case.objects.filter(event_count__gt=0).exclude(Exists(CaseEvent.objects.filter(case=OuterRef("pk"))))
    for case_no in orphans.values_list("case_no", flat=True):
        report.problems.append(ChainProblem(case_no, None, "events_missing"))
    return report


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    tz = timezone.get_default_timezone()
    start = datetime.combine(day, time.min, tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)


def _day_hashes(day: date) -> Iterator[str]:
    start, end = _day_bounds(day)
    return (
        CaseEvent.objects.filter(received_at__gte=start, received_at__lt=end)
        .order_by("received_at", "pk")
        .values_list("hash", flat=True)
        .iterator(chunk_size=CHUNK)
    )


def compute_digest(day: date) -> tuple[int, str]:
    return chain.day_digest(_day_hashes(day))


def digest_day(day: date) -> tuple[ChainDigest, bool]:
    """Store the digest of ``day`` if it is not stored yet (idempotent); returns (digest, created).

    An existing digest is never overwritten: it is the evidence ``verify_digests`` checks against. Only a
    finished (past) day can be digested.
    """
    if day >= timezone.localdate():
        raise ValueError("only a finished day can be digested (events may still arrive today)")
    existing = ChainDigest.objects.filter(day=day).first()
    if existing is not None:
        return existing, False
    count, digest = compute_digest(day)
    obj, created = ChainDigest.objects.get_or_create(day=day, defaults={"event_count": count, "digest": digest})
    return obj, created


def daily_digest(today: date | None = None, max_days: int = 366) -> int:
    """Periodic job: store the digest of every finished day not digested yet (yesterday and any gap)."""
    today = today or timezone.localdate()
    last = ChainDigest.objects.order_by("-day").values_list("day", flat=True).first()
    if last is None:
        first = CaseEvent.objects.order_by("received_at").values_list("received_at", flat=True).first()
        if first is None:
            return 0
        start = timezone.localtime(first).date()
    else:
        start = last + timedelta(days=1)
    start = max(start, today - timedelta(days=max_days))
    created = 0
    day = start
    while day < today:
        created += digest_day(day)[1]
        day += timedelta(days=1)
    return created


def verify_digests(report: VerifyReport | None = None) -> VerifyReport:
    report = report or VerifyReport()
    for stored in ChainDigest.objects.order_by("day").iterator(chunk_size=500):
        report.digest_days += 1
        count, digest = compute_digest(stored.day)
        if (count, digest) != (stored.event_count, stored.digest):
            report.digest_mismatches.append(stored.day.isoformat())
    return report


def verify_all() -> VerifyReport:
    return verify_digests(verify_chains())
